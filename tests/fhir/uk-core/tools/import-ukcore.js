// Imports the UK Core conformance resources Hedgerow's exports use from a git copy of
// NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN (which keeps them as FHIR XML) into ../source/ as FHIR JSON.
//
// Usage: node import-ukcore.js GIT_DIR COMMIT
//   GIT_DIR  a clone (or bare mirror) of https://github.com/NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN
//   COMMIT   the commit to import (see ../README.md for the one vendored)
// Then run build-snapshots.js to regenerate ../snapshots/.
//
// What is imported: the profiles in ROOT_PROFILES and everything they need from UK Core to be
// understood: their base profiles, the extensions they use, the ValueSets they bind to and the
// UK Core CodeSystems those ValueSets draw on. References to other profiles (targetProfile) are
// not followed. Definitions from the FHIR R4 core spec are not imported (they come from npm).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { Fhir } = require('fhir');

const ROOT_PROFILES = [
  'UKCore-Patient',
  'UKCore-Encounter',
  'UKCore-Observation',
  'UKCore-Observation-VitalSigns',
  'UKCore-Observation-VitalSigns-RespirationRate',
  'UKCore-Observation-VitalSigns-OxygenSaturation',
  'UKCore-Observation-VitalSigns-BloodPressure',
  'UKCore-Observation-VitalSigns-HeartRate',
  'UKCore-Observation-VitalSigns-BodyTemperature',
  'UKCore-Observation-InspiredOxygen',
  'UKCore-Observation-ACVPU',
  'UKCore-Observation-EarlyWarningTotalScore',
  'UKCore-Condition',
  'UKCore-MedicationStatement',
  'UKCore-AllergyIntolerance',
  'UKCore-CarePlan',
  'UKCore-Task',
  'UKCore-Consent',
  'UKCore-Provenance',
].map((n) => 'https://fhir.hl7.org.uk/StructureDefinition/' + n);

const [gitDir, commit] = process.argv.slice(2);
if (!gitDir || !commit) {
  console.error('usage: node import-ukcore.js GIT_DIR COMMIT');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir=' + resolveGitDir(gitDir), ...args], { maxBuffer: 1 << 28 }).toString();
function resolveGitDir(dir) {
  return fs.existsSync(path.join(dir, '.git')) ? path.join(dir, '.git') : dir;
}

const fullCommit = git('rev-parse', commit + '^{commit}').trim();
const commitDate = git('show', '-s', '--format=%cI', fullCommit).trim();
const fhir = new Fhir();

// Convert every StructureDefinition, ValueSet and CodeSystem of that commit, indexed by canonical URL.
const byUrl = new Map();
for (const file of git('ls-tree', '-r', '--name-only', fullCommit, 'structuredefinitions', 'valuesets', 'codesystems').trim().split('\n')) {
  if (!file.endsWith('.xml')) continue;
  // xmlToJson (not xmlToObj) writes FHIR decimals as JSON numbers, as the JSON format requires.
  const resource = JSON.parse(fhir.xmlToJson(git('show', `${fullCommit}:${file}`)));
  if (!resource.url) throw new Error(`${file}: no canonical url`);
  byUrl.set(resource.url, { resource, file });
}

// Follow what the root profiles depend on, inside UK Core.
const wanted = new Map();
const queue = [...ROOT_PROFILES];
const external = new Set();
while (queue.length) {
  const url = queue.shift().split('|')[0];
  if (wanted.has(url) || external.has(url)) continue;
  const found = byUrl.get(url);
  if (!found) {
    external.add(url);
    continue;
  }
  wanted.set(url, found);
  const r = found.resource;
  if (r.resourceType === 'StructureDefinition') {
    if (r.baseDefinition) queue.push(r.baseDefinition);
    for (const e of r.differential.element) {
      for (const t of e.type || []) queue.push(...(t.profile || []));
      if (e.binding && e.binding.valueSet) queue.push(e.binding.valueSet);
    }
  } else if (r.resourceType === 'ValueSet') {
    for (const inc of [...((r.compose && r.compose.include) || []), ...((r.compose && r.compose.exclude) || [])]) {
      if (inc.system) queue.push(inc.system);
      queue.push(...(inc.valueSet || []));
    }
  }
}
for (const root of ROOT_PROFILES) if (!wanted.has(root)) throw new Error(`profile ${root} is not in ${fullCommit}`);

const outDir = path.join(__dirname, '..', 'source');
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const manifest = {
  repository: 'https://github.com/NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN',
  commit: fullCommit,
  commitDate,
  licence: 'Apache-2.0 (see the copyright element of each resource and ../LICENSE)',
  converted: 'FHIR XML to FHIR JSON with the npm package fhir@4.12.0 (xmlToJson); content otherwise unchanged',
  rootProfiles: ROOT_PROFILES,
  resources: [],
  // Canonicals the imported resources refer to that are not UK Core's (FHIR R4 core, SNOMED CT, LOINC, ...).
  externalCanonicals: [...external].sort(),
};
for (const [url, { resource, file }] of [...wanted.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
  const name = `${resource.resourceType}-${resource.id}.json`;
  fs.writeFileSync(path.join(outDir, name), JSON.stringify(resource, null, 2) + '\n');
  manifest.resources.push({ url, version: resource.version, status: resource.status, file: name, upstream: file });
}
fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`imported ${manifest.resources.length} resources from ${fullCommit} (${commitDate}) into ${outDir}`);
console.log(`not in UK Core (expected to come from FHIR R4 core or be code systems): ${manifest.externalCanonicals.join(' ')}`);
