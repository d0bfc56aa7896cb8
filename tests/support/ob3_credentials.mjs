#!/usr/bin/env node
// Foreign Open Badges 3.0 credentials for the tests, signed by ob3check's own sample issuer
// (Digital Bazaar's libraries), so that our verifier is judged on credentials it did not make.
//
//   node ob3_credentials.mjs --ob3check DIR --base http://127.0.0.1:PORT --out DIR --email ADDRESS
//
// Writes, under --out, the files a loopback server serves at the same paths (the did:web DID
// document at /.well-known/did.json, a signed BitstringStatusListCredential at /status/1, a
// 1EdTechRevocationList at /revocations), and one credential per case in cases/, plus cases.json:
// {name: {file, expect}} where expect is "valid", "revoked", "expired" or "invalid".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const opt = name => args[args.indexOf(name) + 1];
const [ob3check, base, out, email] = ['--ob3check', '--base', '--out', '--email'].map(opt);
if(!ob3check || !/^http:\/\/127\.0\.0\.1:\d+$/.test(base ?? '') || !out || !email) {
  process.stderr.write('usage: ob3_credentials.mjs --ob3check DIR --base http://127.0.0.1:PORT ' +
    '--out DIR --email ADDRESS\n');
  process.exit(2);
}
const sample = await import(path.resolve(ob3check, 'issue-sample.mjs'));
const bake = await import(path.resolve(ob3check, 'lib', 'bake.mjs'));

const DAY = 24 * 3600 * 1000;
const did = `did:web:127.0.0.1%3A${new URL(base).port}`;
const cases = {};
const save = (file, data) => {
  const full = path.join(out, file);
  fs.mkdirSync(path.dirname(full), {recursive: true});
  fs.writeFileSync(full, typeof data === 'string' || Buffer.isBuffer(data) ? data :
    JSON.stringify(data, null, 2) + '\n');
};
const add = (name, file, data, expect) => {
  save(path.join('cases', file), data);
  cases[name] = {file: `cases/${file}`, expect};
};

// --- the issuer: did:web with Ed25519 #key-1 (assertionMethod), #key-2 (listed, but not an
// assertionMethod) and RSA #rsa-1 for RS256 VC-JWTs -------------------------------------------
const key1 = await sample.makeIssuerKey({controller: did, id: `${did}#key-1`});
const key2 = await sample.makeIssuerKey({controller: did, id: `${did}#key-2`});
// the same key id as #key-1, but other key material: what a forger who names the real key has
const impostor = await sample.makeIssuerKey({controller: did, id: `${did}#key-1`});
const stranger = await sample.makeIssuerKey(); // its own did:key: not the issuer's key
const rsa = crypto.generateKeyPairSync('rsa', {modulusLength: 2048});
const local = async keyPair => {
  const vm = await sample.publicVerificationMethod(keyPair);
  return {...vm, id: vm.id.slice(did.length)};
};
save('.well-known/did.json', {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1',
    'https://w3id.org/security/jwk/v1'],
  id: did,
  verificationMethod: [await local(key1), await local(key2),
    {id: '#rsa-1', type: 'JsonWebKey', controller: did, publicKeyJwk: rsa.publicKey.export({format: 'jwk'})}],
  assertionMethod: ['#key-1', '#rsa-1']
});

// --- status: a signed 131,072-entry BitstringStatusList (index 8 set; in status/1-after, the same
// list once the issuer has revoked index 7 too) and a 1EdTechRevocationList ---------------------
const listUrl = `${base}/status/1`;
const statusList = async indexes => {
  const bits = Buffer.alloc(131072 / 8);
  for(const index of indexes) {
    bits[index >> 3] |= 0x80 >> (index & 7); // most significant bit first
  }
  return sample.signDataIntegrity({keyPair: key1, credential: {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: did,
    validFrom: sample.nowSeconds(-DAY),
    credentialSubject: {id: `${listUrl}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation',
      encodedList: 'u' + zlib.gzipSync(bits).toString('base64url')}
  }});
};
save('status/1', await statusList([8]));
save('status/1-after', await statusList([7, 8]));
const bitstring = index => ({credentialStatus: {id: `${listUrl}#${index}`, type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: listUrl}});
const revokedId = `urn:uuid:${crypto.randomUUID()}`;
save('revocations', {id: `${base}/revocations`, issuer: did,
  revokedCredentials: [{id: revokedId, revocationReason: 'Awarded in error'}]});
const revocationList = {credentialStatus: {id: `${base}/revocations`, type: '1EdTechRevocationList'}};

// --- the learner: a hashed email identifier, as OB 2.0 hashes the recipient ------------------
const salt = 'sea-salt';
const identifier = [{type: 'IdentityObject', identityType: 'emailAddress', hashed: true, salt,
  identityHash: 'sha256$' + crypto.createHash('sha256').update(email.toLowerCase() + salt).digest('hex')}];
const credential = ({issuerId = did, extra = {}, ...rest} = {}) => {
  const c = sample.sampleCredential({issuerId, issuerName: 'Harbour College', achievementName: 'Welding Level 2',
    validFrom: sample.nowSeconds(-DAY), extra, ...rest});
  c.credentialSubject.identifier = identifier;
  return c;
};
const signed = (keyPair, c) => sample.signDataIntegrity({credential: c, keyPair});

// --- the cases ---------------------------------------------------------------------------------
const good = await signed(key1, credential({extra: bitstring(7)}));
add('good', 'good.json', good, 'valid');
const png = bake.bakePng(bake.makeBadgePng(), JSON.stringify(good));
add('good baked png', 'good.png', png, 'valid');
add('good baked svg', 'good.svg', bake.bakeSvg(bake.makeBadgeSvg(), JSON.stringify(good, null, 2)), 'valid');
const didKey = await signed(stranger, credential({issuerId: stranger.controller}));
add('good did:key', 'did-key.json', didKey, 'valid');

// an issuer named by a web address, its key in a controller document there
const controllerId = `${base}/issuers/1`;
const controllerKey = await sample.makeIssuerKey({controller: controllerId, id: `${controllerId}#key-1`});
const controllerMethod = await sample.publicVerificationMethod(controllerKey);
save('issuers/1', {'@context': ['https://www.w3.org/ns/cid/v1'], id: controllerId,
  verificationMethod: [controllerMethod], assertionMethod: [controllerMethod.id]});
add('good controller document', 'controller.json',
  await signed(controllerKey, credential({issuerId: controllerId})), 'valid');

const tampered = structuredClone(good);
tampered.credentialSubject.achievement.name = 'Welding Level 3';
add('tampered subject', 'tampered.json', tampered, 'invalid');
add('wrong key', 'wrong-key.json', await signed(impostor, credential()), 'invalid');
add("key not the issuer's", 'stranger-key.json', await signed(stranger, credential()), 'invalid');
add('key not an assertionMethod', 'key-2.json', await signed(key2, credential()), 'invalid');
add('revoked by status list', 'revoked-status.json', await signed(key1, credential({extra: bitstring(8)})),
  'revoked');
add('revoked by revocation list', 'revoked-list.json',
  await signed(key1, {...credential({extra: revocationList}), id: revokedId}), 'revoked');
add('not revoked by revocation list', 'listed.json', await signed(key1, credential({extra: revocationList})),
  'valid');
add('expired', 'expired.json', await signed(key1, credential({validFrom: sample.nowSeconds(-2 * DAY),
  extra: {validUntil: sample.nowSeconds(-DAY)}})), 'expired');
const unknownContext = structuredClone(good);
unknownContext['@context'].push('https://contexts.example.org/badges/v1.jsonld');
add('unknown context', 'unknown-context.json', unknownContext, 'invalid');
const noCriteria = credential();
delete noCriteria.credentialSubject.achievement.criteria;
add('schema violation', 'schema.json', await signed(key1, noCriteria), 'invalid');
// signed as it is, so only the schema's "format": "date-time" (RFC 3339) can tell
add('bad date-time', 'bad-date-time.json', await signed(key1, credential({extra: {awardedDate: '2 December 2026'}})),
  'invalid');

const jwtCredential = credential({extra: {validUntil: sample.nowSeconds(365 * DAY)}});
const jwt = await sample.signVcJwt({credential: jwtCredential, privateKey: rsa.privateKey, alg: 'RS256',
  kid: `${did}#rsa-1`});
add('good jwt', 'good.jwt', jwt, 'valid');
add('good jwt baked png', 'good-jwt.png', bake.bakePng(bake.makeBadgePng(), jwt), 'valid');
add('good jwt baked svg', 'good-jwt.svg', bake.bakeSvg(bake.makeBadgeSvg(), jwt, {jws: true}), 'valid');
add('good jwt EdDSA did:key', 'did-key.jwt', await sample.signVcJwt({
  credential: credential({issuerId: stranger.controller}), privateKey: await sample.joseKeyFromMultikey(stranger),
  alg: 'EdDSA', kid: stranger.id}), 'valid');
const [head, body, signature] = jwt.split('.');
const claims = JSON.parse(Buffer.from(body, 'base64url'));
claims.credentialSubject.achievement.name = 'Welding Level 3';
add('tampered jwt', 'tampered.jwt', [head, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature]
  .join('.'), 'invalid');
// A header member the spec does not allow (jku: fetch the key from here), correctly signed.
const badHead = Buffer.from(JSON.stringify({alg: 'RS256', kid: `${did}#rsa-1`, typ: 'JWT',
  jku: `${base}/keys.json`})).toString('base64url');
const badSignature = crypto.sign('sha256', Buffer.from(`${badHead}.${body}`), rsa.privateKey)
  .toString('base64url');
add('jwt with a disallowed header', 'bad-header.jwt', `${badHead}.${body}.${badSignature}`, 'invalid');

save('cases.json', cases);
process.stdout.write(`${Object.keys(cases).length} cases for ${base} in ${out}\n`);
