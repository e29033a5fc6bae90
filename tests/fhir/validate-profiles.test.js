// Checks validate-profiles.js against the hand-made samples: the UK Core sample must pass and the
// negative control must fail with each of the faults planted in it. Run: node --test tests/fhir/
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const run = (...args) => spawnSync(process.execPath, [path.join(__dirname, 'validate-profiles.js'), ...args], { encoding: 'utf8' });
const sample = (name) => path.join(__dirname, 'samples', name);

test('the UK Core sample bundle conforms', () => {
  const r = run(sample('ukcore-pass.json'));
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /conforms to UK Core \(17 resources, 17 profile checks, 0 warning\(s\)\)/);
});

test('the negative control fails with every planted fault', () => {
  const r = run('--quiet', sample('ukcore-fail.json'));
  assert.strictEqual(r.status, 1, r.stdout + r.stderr);
  const expected = [
    /Patient\/patient-1 Patient\.identifier\[0\]\.extension\[0\]\.valueCodeableConcept: .*must be a code from UKCoreNHSNumberVerificationStatus/,
    /Patient\/patient-1 Patient\.identifier\[0\]\.value: .*minimum cardinality 1/,
    /Encounter\/encounter-1 Encounter\.status: base R4: Missing required property/,
    /Observation\/obs-rr Observation\.status: .*must be exactly "final"/,
    /Observation\/obs-spo2 Observation\.code\.coding\[1\]\.code: .*must be exactly "2708-6".*found "59408-5"/,
    /Observation\/obs-spo2 Observation\.valueQuantity\.code: .*must be exactly "%"/,
    /Observation\/obs-bp Observation\.component: .*slice SystolicBP: minimum cardinality 1/,
    /Observation\/obs-hr Observation\.valueQuantity\.code: .*must be exactly "\/min".*found "\{beats\}\/min"/,
    /Observation\/obs-news2 Observation\.subject: .*EarlyWarningTotalScore.*minimum cardinality 1/,
    /CarePlan\/careplan-1 CarePlan\.meta\.profile: unknown profile https:\/\/fhir\.hl7\.org\.uk\/StructureDefinition\/UKCore-CarePlan-Escalation/,
    /Task\/task-1 Task\.meta\.profile: no meta\.profile/,
  ];
  for (const e of expected) assert.match(r.stderr, e);
});

test('the UK Core sample is also valid against the R4 JSON schema', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'validate.js'), sample('ukcore-pass.json')], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
});
