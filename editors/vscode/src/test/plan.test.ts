import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { showUnsavedPlan, unsavedPlan } from '../plan';

const PLAN = '{\n  "plan_version": 1,\n  "starts": true\n}\n';

describe('unsavedPlan', () => {
  it('is the plan text when the server did not save it', () => {
    // "Show without saving", and a client that cannot be asked before replacing plan.json
    assert.equal(unsavedPlan({ path: '/p/deploy/plan.json', saved: false, plan: PLAN }), PLAN);
    // the folder could not be written: the server says why and still returns the plan
    assert.equal(unsavedPlan({ error: 'cannot create /p/deploy', plan: PLAN }), PLAN);
  });

  it('is undefined when plan.json was written (the server opened it) or there is no plan', () => {
    assert.equal(unsavedPlan({ path: '/p/deploy/plan.json', saved: true, plan: PLAN }), undefined);
    assert.equal(unsavedPlan({ error: 'this file is not a vLLM Wizard profile' }), undefined);
    assert.equal(unsavedPlan({ saved: false, plan: 42 }), undefined);
    assert.equal(unsavedPlan(null), undefined);
    assert.equal(unsavedPlan(undefined), undefined);
    assert.equal(unsavedPlan('plan'), undefined);
  });
});

describe('showUnsavedPlan', () => {
  it('opens the unsaved plan as JSON, once', async () => {
    const opened: Array<[string, string]> = [];
    const open = async (content: string, language: string) => {
      opened.push([content, language]);
    };
    assert.equal(await showUnsavedPlan({ saved: false, plan: PLAN }, open), true);
    assert.deepEqual(opened, [[PLAN, 'json']]);
    assert.equal(await showUnsavedPlan({ saved: true, plan: PLAN }, open), false);
    assert.equal(opened.length, 1);
  });

  it('passes a failure to open on to the caller', async () => {
    const failing = async () => {
      throw new Error('no editor');
    };
    await assert.rejects(showUnsavedPlan({ saved: false, plan: PLAN }, failing), /no editor/);
  });
});
