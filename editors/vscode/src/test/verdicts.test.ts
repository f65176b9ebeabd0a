import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVerdict, statusView, VerdictStore } from '../verdicts';

const PROFILE = 'file:///work/profile.yaml';
const OTHER = 'file:///work/other.profile.yaml';
const PLAIN = 'file:///work/docker-compose.yaml';

function storeWith(open: string[]): { store: VerdictStore; open: Set<string> } {
  const openSet = new Set(open);
  return { store: new VerdictStore({ isOpen: (uri) => openSet.has(uri) }), open: openSet };
}

describe('statusView', () => {
  it('fits / tight / won\'t start', () => {
    assert.deepEqual(statusView({ uri: PROFILE, fits: true, starts: true, summary: 'fits: 14.2 of 24 GB' }), {
      text: '$(check) fits',
      tooltip: 'fits: 14.2 of 24 GB',
      severity: 'ok',
    });
    assert.deepEqual(statusView({ uri: PROFILE, fits: false, starts: true, summary: 'tight' }), {
      text: '$(warning) tight',
      tooltip: 'tight',
      severity: 'warning',
    });
    assert.deepEqual(statusView({ uri: PROFILE, fits: false, starts: false, summary: 'needs 40 GB' }), {
      text: "$(error) won't start",
      tooltip: 'needs 40 GB',
      severity: 'error',
    });
    // Contradictory input errs on the side of caution.
    assert.equal(statusView({ uri: PROFILE, fits: true, starts: false, summary: '' }).severity, 'error');
  });
});

describe('parseVerdict', () => {
  it('accepts the documented shape and rejects others', () => {
    assert.deepEqual(parseVerdict({ uri: PROFILE, fits: true, starts: true, summary: 's', extra: 1 }), {
      uri: PROFILE,
      fits: true,
      starts: true,
      summary: 's',
    });
    assert.equal(parseVerdict({ uri: PROFILE, fits: true, summary: 's' })?.uri, undefined);
    assert.equal(parseVerdict({ uri: 1, fits: true, starts: true, summary: 's' }), undefined);
    assert.equal(parseVerdict({ uri: '', fits: true, starts: true, summary: 's' }), undefined);
    assert.equal(parseVerdict({ uri: PROFILE, fits: 'yes', starts: true, summary: 's' }), undefined);
    assert.equal(parseVerdict(null), undefined);
    assert.equal(parseVerdict([PROFILE, true, true, 's']), undefined);
    assert.equal(parseVerdict({ uri: PROFILE, fits: true, starts: true })?.summary, '');
  });
});

describe('VerdictStore', () => {
  it('shows the active document\'s verdict only', () => {
    const { store } = storeWith([PROFILE, OTHER, PLAIN]);
    assert.equal(store.update({ uri: PROFILE, fits: true, starts: true, summary: 'ok' }), true);
    assert.equal(store.viewFor(PROFILE)?.text, '$(check) fits');
    assert.equal(store.viewFor(OTHER), undefined, 'another profile without a verdict yet');
    assert.equal(store.viewFor(PLAIN), undefined, 'a YAML file that is not a profile');
    assert.equal(store.viewFor(undefined), undefined, 'no active editor');
  });

  it('replaces a document\'s verdict with the newest', () => {
    const { store } = storeWith([PROFILE]);
    store.update({ uri: PROFILE, fits: true, starts: true, summary: 'ok' });
    store.update({ uri: PROFILE, fits: false, starts: false, summary: 'needs 2 GPUs' });
    assert.deepEqual(store.viewFor(PROFILE), { text: "$(error) won't start", tooltip: 'needs 2 GPUs', severity: 'error' });
    assert.equal(store.size, 1);
  });

  it('drops a verdict for a document that is not open', () => {
    const { store } = storeWith([PROFILE]);
    assert.equal(store.update({ uri: OTHER, fits: true, starts: true, summary: 'late' }), false);
    assert.equal(store.get(OTHER), undefined);
    assert.equal(store.viewFor(OTHER), undefined);
    assert.equal(store.viewFor(PROFILE), undefined, "another document's verdict never shows for this one");
  });

  it('forgets a closed document, and a late verdict after close does not come back', () => {
    const { store, open } = storeWith([PROFILE]);
    store.update({ uri: PROFILE, fits: true, starts: true, summary: 'ok' });
    open.delete(PROFILE);
    store.forget(PROFILE);
    assert.equal(store.viewFor(PROFILE), undefined);
    assert.equal(store.update({ uri: PROFILE, fits: true, starts: true, summary: 'in flight' }), false);
    assert.equal(store.viewFor(PROFILE), undefined);
    open.add(PROFILE);
    assert.equal(store.viewFor(PROFILE), undefined, 'reopened: hidden until the server sends a new verdict');
  });

  it('clears everything when the server stops', () => {
    const { store } = storeWith([PROFILE, OTHER]);
    store.update({ uri: PROFILE, fits: true, starts: true, summary: 'a' });
    store.update({ uri: OTHER, fits: false, starts: true, summary: 'b' });
    store.clear();
    assert.equal(store.size, 0);
    assert.equal(store.viewFor(OTHER), undefined);
  });

  it('ignores malformed notifications', () => {
    const { store } = storeWith([PROFILE]);
    assert.equal(store.update({ uri: PROFILE }), false);
    assert.equal(store.update('nonsense'), false);
    assert.equal(store.size, 0);
  });

  it('matches the server\'s URI spelling to the editor\'s through normalize', () => {
    const editorUri = 'file:///c%3A/work/profile.yaml';
    const store = new VerdictStore({
      isOpen: (uri) => uri === editorUri,
      normalize: (uri) => uri.replace('file:///C:/', 'file:///c%3A/'),
    });
    assert.equal(store.update({ uri: 'file:///C:/work/profile.yaml', fits: false, starts: true, summary: 't' }), true);
    assert.equal(store.viewFor(editorUri)?.text, '$(warning) tight');
    store.forget('file:///C:/work/profile.yaml');
    assert.equal(store.viewFor(editorUri), undefined);
  });
});
