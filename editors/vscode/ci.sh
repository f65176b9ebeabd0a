#!/usr/bin/env bash
# Build, test and package the VS Code extension. Run from anywhere: `bash editors/vscode/ci.sh`.
# Needs Node >= 20 and npm; no VS Code (there are no extension-host tests).
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n--- vscode: %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

step "compile (copies ../../schemas/profile.schema.json into schemas/)"
npm run compile

step "unit tests"
npm test

step "package"
rm -f vllm-wizard.vsix
npx --no-install vsce package --out vllm-wizard.vsix

step "check the package"
[ -f vllm-wizard.vsix ] || { echo "vllm-wizard.vsix was not created" >&2; exit 1; }
if command -v unzip >/dev/null 2>&1; then
  listing=$(unzip -Z1 vllm-wizard.vsix)
else
  listing=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' vllm-wizard.vsix)
fi
missing=0
for required in \
  extension/package.json \
  extension/out/extension.js \
  extension/schemas/profile.schema.json \
  extension/LICENSE.txt \
  extension/node_modules/vscode-languageclient/package.json \
  extension/node_modules/vscode-languageclient/lib/node/main.js; do
  if ! grep -qxF "$required" <<<"$listing"; then
    echo "missing from vllm-wizard.vsix: $required" >&2
    missing=1
  fi
done
for forbidden in extension/src/ extension/out/test/ extension/node_modules/typescript/ extension/node_modules/@vscode/vsce/; do
  if grep -q "^$forbidden" <<<"$listing"; then
    echo "should not be in vllm-wizard.vsix: $forbidden" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ]
echo "vllm-wizard.vsix: $(wc -l <<<"$listing") files, $(du -k vllm-wizard.vsix | cut -f1) KiB"
