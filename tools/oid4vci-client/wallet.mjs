// A wallet, as the tests drive it: Animo's OpenID4VCI client (@openid4vc/openid4vci, not ours) takes a
// credential offer deep link, reads the issuer's metadata, trades the pre-authorized code for a token,
// asks the nonce endpoint for a c_nonce and requests the credential with a JWT key proof signed by a
// fresh Ed25519 key (named as did:key, or sent as jwk). Prints one JSON object: what each step got,
// or the error the issuer answered with ({error, error_description}).
//
//   node wallet.mjs '{"offer": "openid-credential-offer://?credential_offer_uri=...", "txCode": "123456",
//                     "configuration": "OpenBadgeCredential_ldp_vc", "key": "did:key" | "jwk" | "none",
//                     "tokenTwice": false, "nonce": "fresh" | "made-up" | "reused"}'
import { createHash, randomBytes } from 'node:crypto';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';

setGlobalConfig({ allowInsecureUrls: true }); // the test server is http on loopback

const plan = JSON.parse(process.argv[2]);
const out = {};

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let s = '';
  while (n > 0n) { s = ALPHABET[Number(n % 58n)] + s; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; s = '1' + s; }
  return s;
}

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const publicJwk = await exportJWK(publicKey);
const multikey = 'z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(publicJwk.x, 'base64url')]));
const didKey = `did:key:${multikey}`;

async function signJwt(signer, { header, payload }) {
  const jwt = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader(header).sign(privateKey);
  return { jwt, signerJwk: publicJwk };
}

const client = new Openid4vciClient({
  callbacks: {
    signJwt,
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    fetch,
  },
});

function refusal(error) {
  const body = error.errorResponse ?? error.response?.credentialErrorResponseResult?.data;
  return body ? { error: body.error, error_description: body.error_description, status: error.response?.status }
    : { error: 'client', error_description: String(error.message ?? error) };
}

async function step(name, fn) {
  try { out[name] = await fn(); return out[name]; } catch (error) { out[`${name}Error`] = refusal(error); return null; }
}

const offer = await client.resolveCredentialOffer(plan.offer);
out.offer = offer;
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
out.credentialConfigurations = Object.keys(issuerMetadata.credentialIssuer.credential_configurations_supported);
const token = await step('token', async () => (await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata, txCode: plan.txCode ?? undefined })).accessTokenResponse);
if (plan.tokenTwice) {
  await step('secondToken', async () => (await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata, txCode: plan.txCode ?? undefined })).accessTokenResponse);
}

async function requestCredential(nonce) {
  let proofs;
  if (plan.key !== 'none') {
    const signer = plan.key === 'jwk' ? { method: 'jwk', publicJwk, alg: 'EdDSA' }
      : { method: 'did', didUrl: `${didKey}#${multikey}`, alg: 'EdDSA' };
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: plan.configuration, signer, nonce });
    proofs = { jwt: [jwt] };
  }
  const response = await client.retrieveCredentials({
    issuerMetadata, accessToken: token.access_token, credentialConfigurationId: plan.configuration, proofs });
  return response.credentialResponse.credentials[0].credential;
}

if (token) {
  out.holder = plan.key === 'did:key' ? didKey : null;
  out.publicJwk = publicJwk;
  const fresh = plan.key === 'none' ? undefined : (await client.requestNonce({ issuerMetadata })).c_nonce;
  const nonce = plan.nonce === 'made-up' ? randomBytes(32).toString('base64url') : fresh;
  await step('credential', () => requestCredential(nonce));
  if (plan.nonce === 'reused') await step('secondCredential', () => requestCredential(nonce));
}
process.stdout.write(JSON.stringify(out));
