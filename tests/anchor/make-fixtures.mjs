// tests/anchor/make-fixtures.mjs: writes ledgers whose anchors are real
// transactions on a running node (ganache --wallet.deterministic, chain id
// 1337), one case per outcome the anchor plugin must tell apart, and a
// manifest (cases.json) of what each case must give.
//
//   node make-fixtures.mjs RPC_URL OUTDIR            the static cases
//   node make-fixtures.mjs RPC_URL OUTDIR reorg      a pending anchor made
//        after an evm_snapshot (OUTDIR/reorg.jsonl, OUTDIR/reorg.snapshot)
//   node make-fixtures.mjs RPC_URL OUTDIR bench N    a ledger of N anchors
//   node make-fixtures.mjs RPC_URL OUTDIR wallet     the wallet cases, each
//        with a wallet of its own (accounts 2, 3, 4), and OUTDIR/wallet.json
//   node make-fixtures.mjs RPC_URL VECTORS replay     sends the signed
//        transactions of VECTORS/eth-tx.jsonl as they are (a fresh node:
//        they are account 0's nonces 0..8), so that the independent
//        VECTORS/ledger-valid.jsonl can be confirmed against this node
//
// Events are hashed as the ledger format says: SHA-256 of the JCS form of
// the event without "hash" (our events hold only ASCII strings and safe
// integers, for which sorted-key JSON.stringify is JCS).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { JsonRpcProvider, HDNodeWallet, Signature, Transaction, id } from 'ethers';

const [url, outdir, mode = 'static', count = '500'] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: make-fixtures.mjs RPC_URL OUTDIR [static|reorg|bench N]');
  process.exit(64);
}
const MNEMONIC = 'myth like bonus scare over problem client lizard pioneer submit female collect';
const provider = new JsonRpcProvider(url, 1337, { staticNetwork: true, batchMaxCount: 1, pollingInterval: 50 });
const wallet = (i) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);
const anchorer = wallet(0);   // the anchoring wallet (expected_sender)
const stranger = wallet(1);   // someone else
const TO = '0x000000000000000000000000000000000000a11c';
const SELECTOR = id('anchor(bytes32,uint64)').slice(0, 10);

function jcs(v) {
  if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + jcs(v[k])).join(',') + '}';
  return JSON.stringify(v);
}
const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const iso = (ms) => new Date(ms).toISOString();

// A ledger being written: events chained by prev_hash/hash.
class Ledger {
  constructor() { this.events = []; }
  add(type, payload, tsMs) {
    const prev = this.events.length ? this.events[this.events.length - 1].hash : '0'.repeat(64);
    const ev = { seq: this.events.length + 1, ts: iso(tsMs), type, aggregate_id: type.startsWith('Anchor') ? 'ledger' : `claim-${String(this.events.length + 1).padStart(6, '0')}`, payload, prev_hash: prev };
    ev.hash = sha256(jcs(ev));
    this.events.push(ev);
    return ev;
  }
  claims(n, tsMs) { for (let i = 0; i < n; i++) this.add('ClaimSubmitted', { amount: String(100 + i), currency: 'EUR' }, tsMs); }
  head() { return this.events[this.events.length - 1]; }
  write(path) { writeFileSync(path, this.events.map((e) => JSON.stringify(e)).join('\n') + '\n'); }
}

const rawInput = (hash) => '0x' + hash;
const abiInput = (hash, seq) => SELECTOR + hash + BigInt(seq).toString(16).padStart(64, '0');

// Nonces kept here: asking the node for "pending" right after a mined
// transaction can answer the old count.
const nonces = new Map();
async function nextNonce(w) {
  if (!nonces.has(w.address)) nonces.set(w.address, await provider.getTransactionCount(w.address, 'latest'));
  const n = nonces.get(w.address);
  nonces.set(w.address, n + 1);
  return n;
}

// Sends one anchoring transaction and waits for it to be mined.
async function send(w, type, data, extra = {}) {
  const tx = { to: TO, data, type, value: 0n, gasLimit: 100000n, nonce: await nextNonce(w), ...extra };
  if (type === 1) tx.accessList = [{ address: TO, storageKeys: ['0x' + '00'.repeat(31) + '01'] }];
  const sent = await w.sendTransaction(tx);
  let rcpt;
  try {
    rcpt = await sent.wait();
  } catch (e) { // a reverted transaction is mined too: that is the point
    if (e.code !== 'CALL_EXCEPTION' || !e.receipt) throw e;
    rcpt = e.receipt;
  }
  return { hash: sent.hash, block: rcpt.blockNumber };
}

async function mine(n) { await provider.send('evm_mine', [{ blocks: n }]); }

async function staticCases() {
  const now = Date.now();
  const cases = [];
  const CHAIN = 1337;
  const sender = anchorer.address.toLowerCase();

  // one ledger with good anchors of every type and both encodings
  const good = new Ledger();
  const txs = [];
  for (const [type, enc] of [[0, 'raw'], [1, 'abi'], [2, 'abi'], [2, 'raw'], [0, 'abi'], [1, 'raw']]) {
    good.claims(3, now - 60000);
    const target = good.head();
    const data = enc === 'raw' ? rawInput(target.hash) : abiInput(target.hash, target.seq);
    const t = await send(anchorer, type, data);
    txs.push(t.hash);
    good.add('AnchorSubmitted', { anchored_seq: target.seq, anchored_hash: target.hash, chain_id: CHAIN, tx_hash: t.hash }, now - 30000);
  }
  good.claims(2, now - 20000);
  good.write(`${outdir}/good.jsonl`);
  cases.push({ name: 'good', ledger: 'good.jsonl', status: 'ok', confirmed: 6, settings: { expected_sender: sender, wallet_check: false } });

  // a single-anchor ledger per failure; `make` returns the anchor payload
  async function one(name, make, expect, opts = {}) {
    const l = new Ledger();
    l.claims(2, now - 60000);
    const target = l.head();
    const p = await make(target, l);
    const ev = l.add('AnchorSubmitted', p, opts.anchorTs ?? now - 30000);
    if (opts.supersede) l.add('AnchorSuperseded', { tx_hash: p.tx_hash, reason: 'sent from the wrong wallet; re-anchored' }, now - 20000);
    if (opts.tamper) { // re-chain the ledger after changing the anchored event
      const ev2 = l.events.map((e) => ({ ...e }));
      const fresh = new Ledger();
      for (const e of ev2) fresh.add(e.type, e.seq === target.seq ? { ...e.payload, amount: '999999' } : e.payload, Date.parse(e.ts));
      fresh.write(`${outdir}/${name}.jsonl`);
    } else {
      l.write(`${outdir}/${name}.jsonl`);
    }
    cases.push({ name, ledger: `${name}.jsonl`, tx_hash: p.tx_hash, seq: ev.seq, ...expect, settings: { expected_sender: sender, wallet_check: false, ...(opts.settings || {}) } });
  }
  const payload = (target, hash, chain = CHAIN) => ({ anchored_seq: target.seq, anchored_hash: target.hash, chain_id: chain, tx_hash: hash });

  await one('wrong-sender', async (t) => payload(t, (await send(stranger, 2, abiInput(t.hash, t.seq))).hash), { status: 'critical', rule: 4 });
  // a contract whose code always reverts: runtime 0x60006000fd (PUSH1 0 PUSH1 0
  // REVERT), deployed by init code PUSH5 it, PUSH1 0, MSTORE, RETURN(27, 5)
  const deploy = await anchorer.sendTransaction({ data: '0x6460006000fd6000526005601bf3', gasLimit: 100000n, nonce: await nextNonce(anchorer) });
  const reverter = (await deploy.wait()).contractAddress;
  await one('reverted', async (t) => payload(t, (await send(anchorer, 2, abiInput(t.hash, t.seq), { to: reverter })).hash), { status: 'critical', rule: 2 });
  await one('missing', async (t) => payload(t, '0x' + sha256('no such transaction')), { status: 'critical', rule: 2 }, { anchorTs: now - 3600000 });
  await one('missing-in-grace', async (t) => payload(t, '0x' + sha256('not yet seen')), { status: 'ok', pending: 1 });
  await one('other-hash', async (t) => payload(t, (await send(anchorer, 2, rawInput(sha256('another event')))).hash), { status: 'critical', rule: 3 });
  await one('abi-wrong-seq', async (t) => payload(t, (await send(anchorer, 1, abiInput(t.hash, t.seq + 1))).hash), { status: 'critical', rule: 3 });
  await one('chain-mismatch', async (t) => payload(t, (await send(anchorer, 2, abiInput(t.hash, t.seq))).hash, 1), { status: 'critical', rule: 1 });
  await one('ledger-rewritten', async (t) => payload(t, (await send(anchorer, 0, rawInput(t.hash))).hash), { status: 'critical', rule: 7 }, { tamper: true });
  await one('superseded', async (t) => payload(t, (await send(stranger, 0, rawInput(t.hash))).hash), { status: 'ok', superseded: 1 }, { supersede: true });
  // not final: judged by depth (ganache's "finalized" is its latest block)
  const deep = { finality: 'confirmations', min_confirmations: 1000 };
  await one('not-final-pending', async (t) => payload(t, (await send(anchorer, 2, abiInput(t.hash, t.seq))).hash), { status: 'ok', pending: 1 }, { settings: deep });
  await one('not-final-failed', async (t) => payload(t, (await send(anchorer, 2, abiInput(t.hash, t.seq))).hash), { status: 'critical', rule: 6 }, { settings: deep, anchorTs: now - 3600000 });
  await one('old-anchor', async (t) => payload(t, (await send(anchorer, 2, abiInput(t.hash, t.seq))).hash), { status: 'warning', confirmed: 1 }, { anchorTs: now - 3 * 3600000 });
  await mine(20); // deep enough for min_confirmations 12
  await one('tx-of-another-anchor', async (t) => payload(t, txs[1]), { status: 'critical', rule: 3 }); // txs[1] anchors another event
  writeFileSync(`${outdir}/cases.json`, JSON.stringify(cases, null, 1) + '\n');
}

// The anchoring wallet watched (anchor-wallet.sh): five anchors of a
// wallet and one more transaction it sent; a ledger cut back before two
// anchors already on chain (and the same with AnchorSuperseded for them);
// a wallet whose fee figures give its runway.
async function walletCases() {
  const now = Date.now();
  const out = {};
  // anchors of wallet w for a fresh ledger; `extraAfter` sends one other
  // transaction after that many anchors. Returns the ledger and what was sent.
  async function anchors(w, n, extraAfter = -1) {
    const l = new Ledger();
    const sent = [];
    let extra = null;
    for (let i = 0; i < n; i++) {
      if (i === extraAfter) {
        const nonce = await nextNonce(w);
        const t = await w.sendTransaction({ to: TO, data: '0xdeadbeef', value: 1n, gasLimit: 100000n, nonce });
        await t.wait();
        extra = { nonce, tx_hash: t.hash };
      }
      l.claims(2, now - 600000 + i * 1000);
      const target = l.head();
      const data = i % 2 ? rawInput(target.hash) : abiInput(target.hash, target.seq);
      const s = await send(w, 2, data);
      const rcpt = await provider.getTransactionReceipt(s.hash);
      sent.push({ hash: s.hash, cut: l.events.length - 2, fee: rcpt.gasUsed * rcpt.gasPrice });
      l.add('AnchorSubmitted', { anchored_seq: target.seq, anchored_hash: target.hash, chain_id: 1337, tx_hash: s.hash }, now - 60000 + i * 1000);
    }
    l.claims(1, now - 10000);
    return { l, sent, extra };
  }
  const acct = (i) => wallet(i).address.toLowerCase();

  const u = await anchors(wallet(2), 5, 3);
  u.l.write(`${outdir}/wallet-unrecorded.jsonl`);
  out.unrecorded = { sender: acct(2), ledger: 'wallet-unrecorded.jsonl', ...u.extra };

  const rb = await anchors(wallet(3), 5);
  // and a raw anchor of a lost event whose hash begins with zero bytes:
  // input data, where a leading 00 is a digit like any other
  const z = await send(wallet(3), 2, rawInput('0000' + 'c0ffee'.repeat(10)));
  rb.sent.push({ hash: z.hash });
  // cut back before the events that anchors 4 and 5 anchored
  const cut = new Ledger();
  cut.events = rb.l.events.slice(0, rb.sent[3].cut);
  cut.write(`${outdir}/wallet-rollback.jsonl`);
  cut.add('AnchorSuperseded', { tx_hash: rb.sent[3].hash, reason: 'ledger restored from backup; anchor of a lost event' }, now - 5000);
  cut.add('AnchorSuperseded', { tx_hash: rb.sent[4].hash, reason: 'ledger restored from backup; anchor of a lost event' }, now - 5000);
  cut.add('AnchorSuperseded', { tx_hash: rb.sent[5].hash, reason: 'ledger restored from backup; anchor of a lost event' }, now - 5000);
  cut.write(`${outdir}/wallet-superseded.jsonl`);
  out.rollback = { sender: acct(3), ledger: 'wallet-rollback.jsonl', superseded: 'wallet-superseded.jsonl', tx_hashes: [rb.sent[3].hash, rb.sent[4].hash, rb.sent[5].hash] };

  const f = await anchors(wallet(4), 5);
  f.l.write(`${outdir}/wallet-funds.jsonl`);
  const fee = f.sent.reduce((a, s) => a + s.fee, 0n) / 5n;
  // about ten more anchors at the recent fee (ten and a half)
  out.funds = { sender: acct(4), ledger: 'wallet-funds.jsonl', fee_wei: fee.toString(), low_balance: '0x' + (fee * 21n / 2n).toString(16) };
  await mine(20);
  writeFileSync(`${outdir}/wallet.json`, JSON.stringify(out, null, 1) + '\n');
}

async function reorgCase() {
  const now = Date.now();
  const snap = await provider.send('evm_snapshot', []);
  const l = new Ledger();
  l.claims(2, now - 60000);
  const t = l.head();
  const s = await send(anchorer, 2, abiInput(t.hash, t.seq));
  await mine(2);
  l.add('AnchorSubmitted', { anchored_seq: t.seq, anchored_hash: t.hash, chain_id: 1337, tx_hash: s.hash }, now - 10000);
  l.write(`${outdir}/reorg.jsonl`);
  writeFileSync(`${outdir}/reorg.snapshot`, `${snap}\n`);
  writeFileSync(`${outdir}/reorg.tx`, `${s.hash}\n`);
}

async function bench(n) {
  const now = Date.now();
  const l = new Ledger();
  const start = await nextNonce(anchorer);
  const sends = [];
  for (let i = 0; i < n; i++) {
    l.claims(1, now - 60000);
    const t = l.head();
    // sign locally with explicit nonces, send without waiting: ganache mines each at once
    const type = i % 3;
    const tx = { to: TO, data: i % 2 ? abiInput(t.hash, t.seq) : rawInput(t.hash), type, value: 0n, gasLimit: 100000n, nonce: start + i, chainId: 1337n };
    if (type === 2) { tx.maxFeePerGas = 10n ** 10n; tx.maxPriorityFeePerGas = 10n ** 9n; } else tx.gasPrice = 10n ** 10n;
    if (type === 1) tx.accessList = [];
    const signed = await anchorer.signTransaction(tx);
    const hash = await provider.send('eth_sendRawTransaction', [signed]);
    l.add('AnchorSubmitted', { anchored_seq: t.seq, anchored_hash: t.hash, chain_id: 1337, tx_hash: hash }, now - 30000);
  }
  await mine(20);
  l.write(`${outdir}/bench.jsonl`);
}

// Re-encodes a node's transaction object as the signed raw transaction.
function rawOf(t) {
  const type = Number(t.type);
  const o = { type, nonce: Number(t.nonce), gasLimit: BigInt(t.gas), to: t.to, value: BigInt(t.value), data: t.input };
  if (t.chainId) o.chainId = BigInt(t.chainId);
  else if (type === 0 && BigInt(t.v) >= 35n) o.chainId = (BigInt(t.v) - 35n) / 2n;
  if (type === 2) { o.maxFeePerGas = BigInt(t.maxFeePerGas); o.maxPriorityFeePerGas = BigInt(t.maxPriorityFeePerGas); } else o.gasPrice = BigInt(t.gasPrice);
  if (type) o.accessList = t.accessList;
  const tx = Transaction.from(o);
  tx.signature = Signature.from({ r: '0x' + t.r.slice(2).padStart(64, '0'), s: '0x' + t.s.slice(2).padStart(64, '0'), v: type ? 27 + Number(t.v) : Number(t.v) });
  if (tx.hash !== t.hash) throw new Error(`re-encoding ${t.hash} gives ${tx.hash}`);
  return tx.serialized;
}

async function replay(dir) {
  const txs = readFileSync(`${dir}/eth-tx.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).tx);
  txs.sort((a, b) => Number(a.nonce) - Number(b.nonce));
  for (const t of txs) {
    const hash = await provider.send('eth_sendRawTransaction', [rawOf(t)]);
    if (hash !== t.hash) throw new Error(`node says ${hash} for ${t.hash}`);
  }
  await mine(20);
}

try {
  if (mode === 'static') await staticCases();
  else if (mode === 'replay') await replay(outdir);
  else if (mode === 'reorg') await reorgCase();
  else if (mode === 'wallet') await walletCases();
  else if (mode === 'bench') await bench(Number(count));
  else throw new Error(`unknown mode ${mode}`);
} finally {
  provider.destroy();
}
