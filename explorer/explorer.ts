/**
 * The explorer page (GET / in a browser): the node's state read from its
 * API, kept live by the events of GET /events. It talks to this node alone.
 */

/** A transaction as blocks and the pool hold it: on an accounts chain a transfer also has its fee, nonce and signature (a reward has none). */
interface Transaction {
  sender: string;
  recipient: string;
  amount: number;
  fee?: number;
  nonce?: number;
}

interface Block {
  index: number;
  timestamp: number;
  transactions: Transaction[];
  proof: number;
  previous_hash: string;
  /** Its target as compact bits: every block of a retargeting chain states them, the walkthrough's never do. */
  bits?: string;
}

/** A block as the table shows it. */
interface BlockRow {
  index: number;
  hash: string | null;
  timestamp: number;
  transactions: number;
  miner: string | null;
  /** The compact bits it states; null on the walkthrough's chain, or until read (a block event does not carry them). */
  bits: string | null;
}

interface PeerHealth {
  node: string;
  failures: number;
  last_error: string | null;
  retry_at: string | null;
}

/** The chain the node runs, as /stats names it. */
interface ChainInfo {
  name: string;
  /** Its genesis hash. */
  id: string;
  retarget: "fixed" | "aserti3-2d";
  /** The target spacing in seconds, on a retargeting chain. */
  block_time: number | null;
  /** names: the walkthrough's transactions between any names; accounts: signed transfers between addresses. */
  ledger: "names" | "accounts";
  /** An accounts chain's address prefix (toy for toy1...), else null. */
  address_prefix: string | null;
}

interface Stats {
  node_id: string;
  chain_length: number;
  chain: ChainInfo;
  difficulty: number;
  /** Absent from a node that predates --mine. */
  mining?: "continuous" | "on request";
  threads: number;
  kernel: string;
  pending_transactions: number;
  peers: string[];
  peer_health: PeerHealth[];
  hashes_per_second: number;
  recent_jobs: { hashes_per_second: number; finished_at: string }[];
  /** Null without --stratum-port; absent from a node that predates it. */
  stratum?: StratumStats | null;
}

/** /stats' stratum: the endpoint and every remote miner. */
interface StratumStats {
  port: number;
  sessions: number;
  shares: { accepted: number; stale: number; refused: number };
  hashes_per_second: number;
  miners: {
    name: string | null;
    address: string;
    hashes_per_second: number;
    shares: { accepted: number; stale: number; refused: number };
    blocks: number;
    last_share: string | null;
  }[];
}

interface FieldError {
  field: string;
  message: string;
}

interface ApiError {
  message: string;
  errors?: FieldError[];
  /** GET /transactions/{id}'s 404 says "unknown". */
  status?: string;
}

interface PeerReport {
  node: string;
  verdict: string;
  reason?: string;
}

interface Tip {
  length: number;
  hash: string;
  /** The chain's cumulative work, a decimal string: absent from a node that predates it. */
  work?: string;
}

interface BlockEvent extends Omit<BlockRow, "bits"> {
  hash: string;
  origin: "mined" | "adopted";
}

interface TransactionEvent {
  transaction: Transaction;
  index: number;
  pending: number;
}

interface MiningEvent {
  index: number;
  hashes_per_second: number;
}

interface JobEvent {
  index: number;
  forged: boolean;
  hashes_per_second: number;
}

interface PeerEvent {
  source: string;
  node: string;
  verdict: string;
  reason?: string;
}

const PAGE = 10;
const CHART_POINTS = 300;
const GENESIS_INDEX = 1;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}

/** A new element with its text. */
function make<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className = ""): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.textContent = text;
  if (className) made.className = className;
  return made;
}

const tokenInput = element<HTMLInputElement>("token");

/** A JSON request to this node; an answer that is not 2xx rejects with the API's own message. */
async function api<T>(path: string, init: { method?: string; body?: string; guarded?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const token = tokenInput.value.trim();
  if (init.guarded && token !== "") headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method: init.method ?? "GET", headers, body: init.body ?? null });
  const body = (await response.json()) as T | ApiError;
  if (!response.ok) throw new ApiFailure(response.status, body as ApiError);
  return body as T;
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message);
  }
}

/** 2^256: one more than the largest hash. */
const HASH_SPACE = 1n << 256n;

/**
 * The target compact bits state, as Bitcoin's SetCompact reads them: one
 * exponent byte (the size in bytes) and a 23-bit mantissa. The node has
 * checked every block's bits (never negative, never past 256 bits), so this
 * only decodes them, for display.
 */
function targetOfBits(bits: string): bigint {
  const compact = Number.parseInt(bits, 16);
  const size = compact >>> 24;
  const mantissa = BigInt(compact & 0x007fffff);
  return size <= 3 ? mantissa >> BigInt(8 * (3 - size)) : mantissa << BigInt(8 * (size - 3));
}

/** The hashes a block at `target` takes on average: 2^256 / (target + 1), as the node counts work. */
const blockWork = (target: bigint): bigint => HASH_SPACE / (target + 1n);

const PREFIXES = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"];

/** Hashes for people, as the node's formatWork writes work: three significant digits and an SI prefix ("1.00 G hashes"). */
function hashes(work: bigint): string {
  let value = Number(work);
  let prefix = 0;
  while (value >= 1000 && prefix < PREFIXES.length - 1) {
    value /= 1000;
    prefix++;
  }
  const digits = prefix === 0 ? value.toFixed(0) : value.toPrecision(3);
  return `${`${digits} ${PREFIXES[prefix]}`.trimEnd()} hashes`;
}

const shortHash = (hash: string | null): string => (hash === null ? "…" : `${hash.slice(0, 12)}…${hash.slice(-6)}`);
const time = (seconds: number): string => new Date(seconds * 1000).toLocaleString();
const mhps = (hashesPerSecond: number): string => `${(hashesPerSecond / 1e6).toFixed(2)} MH/s`;

function rowOf(block: Block, hash: string | null): BlockRow {
  const reward = block.transactions.at(-1);
  return {
    index: block.index,
    hash,
    timestamp: block.timestamp,
    transactions: block.transactions.length,
    miner: reward !== undefined && reward.sender === "0" ? reward.recipient : null,
    bits: block.bits ?? null,
  };
}

/** The dashed line of a chart's guide, in a colour no series has. */
const GUIDE_STROKE = "#b45309";

/**
 * A chart drawn with uPlot, which marks on its container how many points it
 * drew (data-points), and the value of its guide line if it has one
 * (data-guide).
 */
class Chart {
  readonly #plot: uPlot;
  readonly #box: HTMLElement;
  readonly #data: (number | null)[][];
  /** A horizontal line across the chart, drawn as one more series after the measured ones. */
  #guide: { label: string; value: number } | null = null;

  constructor(box: HTMLElement, xLabel: string, series: uPlot.Series[], time: boolean) {
    this.#box = box;
    this.#data = [[], ...series.map(() => [])];
    this.#plot = new uPlot(
      {
        width: Math.max(box.clientWidth, 280),
        height: 220,
        scales: { x: { time } },
        axes: [{ label: xLabel }, {}],
        series: [{ label: xLabel }, ...series],
      },
      this.#data as uPlot.AlignedData,
      box,
    );
    new ResizeObserver(() => this.#plot.setSize({ width: Math.max(box.clientWidth, 280), height: 220 })).observe(box);
  }

  /** Adds a point: x, then one value (or null) per series. */
  add(x: number, ...values: (number | null)[]): void {
    const [xs, ...ys] = this.#data;
    xs?.push(x);
    ys.forEach((column, i) => {
      column.push(values[i] ?? null);
    });
    if ((xs?.length ?? 0) > CHART_POINTS) for (const column of this.#data) column.shift();
    this.#draw();
  }

  /** Replaces every point. */
  reset(xs: number[], ...columns: (number | null)[][]): void {
    this.#data.splice(0, this.#data.length, xs, ...columns);
    this.#draw();
  }

  /** Draws a dashed horizontal line at `line.value`, named `line.label` in the legend; null takes it away. */
  guide(line: { label: string; value: number } | null): void {
    if (this.#guide?.label === line?.label && this.#guide?.value === line?.value) return;
    if (this.#guide !== null) this.#plot.delSeries(this.#data.length);
    this.#guide = line;
    if (line === null) delete this.#box.dataset.guide;
    else {
      this.#plot.addSeries({
        label: line.label,
        stroke: GUIDE_STROKE,
        width: 2,
        dash: [8, 6],
        points: { show: false },
      });
      this.#box.dataset.guide = String(line.value);
    }
    this.#draw();
  }

  #draw(): void {
    const [xs = []] = this.#data;
    const guide = this.#guide;
    const data = guide === null ? this.#data : [...this.#data, xs.map(() => guide.value)];
    this.#plot.setData(data as uPlot.AlignedData);
    const points = this.#data.slice(1).reduce((sum, column) => sum + column.filter((v) => v !== null).length, 0);
    this.#box.dataset.points = String(points);
  }
}

/** What the page knows of the chain. */
const state = {
  height: 0,
  /** The node's chain, from /stats (null until read). */
  chain: null as ChainInfo | null,
  /** On the walkthrough's chain, the fixed difficulty: the target is 2^(256 - difficulty) - 1. */
  difficulty: 0,
  /** The rows shown, newest first. */
  blocks: [] as BlockRow[],
  /** Timestamps by index, for the block times chart. */
  timestamps: new Map<number, number>(),
  verdicts: new Map<string, PeerEvent>(),
  /** Block events so far, and the count at which each shown block's event came (by index). */
  blockEvents: 0,
  arrived: new Map<number, number>(),
};

let rateChart: Chart;
let timesChart: Chart;

function showNode(stats: Stats): void {
  state.chain = stats.chain;
  state.difficulty = stats.difficulty;
  showChain(stats);
  element("node-id").textContent = stats.node_id;
  element("kernel").textContent = stats.kernel;
  element("threads").textContent = String(stats.threads);
  element("difficulty").textContent = `${stats.difficulty} bits`;
  element("hash-rate").textContent = mhps(stats.hashes_per_second);
  setHeight(stats.chain_length);
  element("pending-count").textContent = String(stats.pending_transactions);
  showPeers(stats);
  showMiners(stats);
}

/** The chain's name and id, how its target is set (and the spacing line on the block times), whether the node mines by itself. */
function showChain({ chain, mining }: Stats): void {
  const name = element("chain-name");
  name.textContent = chain.name;
  name.title = `genesis ${chain.id}`;
  element("chain-id").textContent = chain.id;
  const spacing = chain.retarget === "fixed" ? null : chain.block_time;
  element("retarget").textContent =
    spacing === null ? "none: a fixed difficulty" : `${chain.retarget}, toward a block every ${spacing} s`;
  timesChart.guide(spacing === null ? null : { label: `target spacing (${spacing} s)`, value: spacing });
  element("times-help").textContent =
    spacing === null
      ? "Seconds between each block and the one before it."
      : `Seconds between each block and the one before it; the dashed line is the chain's target spacing, ${spacing} s, to which ${chain.retarget} steers the block times by setting each block's target.`;
  // An accounts chain refuses the walkthrough's unsigned transactions: the form gives way to the wallet.
  const accounts = chain.ledger === "accounts";
  element("transaction").hidden = accounts;
  element("signed-only").hidden = !accounts;
  const pill = element("mining");
  pill.hidden = mining === undefined;
  pill.textContent = mining === "continuous" ? "mining continuously" : "mining on request";
}

/** The work every block of the walkthrough's chain takes: 2^difficulty hashes. */
const fixedWork = (): bigint => 1n << BigInt(state.difficulty);

/** A block's target as the hashes it takes, and where that comes from; null while the chain is unknown. */
function targetOf(bits: string | null): { hashes: string; source: string } | null {
  if (bits !== null) return { hashes: hashes(blockWork(targetOfBits(bits))), source: `compact bits ${bits}` };
  if (state.chain?.retarget !== "fixed") return null;
  return { hashes: hashes(fixedWork()), source: `the fixed target of ${state.difficulty} leading zero bits` };
}

function targetCell(cell: HTMLElement, bits: string | null): void {
  const target = targetOf(bits);
  cell.textContent = target?.hashes ?? "…";
  cell.title = target?.source ?? "";
}

/**
 * The chain's work: the tip's own count when the node gives it; else, on the
 * walkthrough's chain, its length times the fixed work of every block; else
 * (a retargeting chain, whose blocks the page reads only a page of) hidden.
 */
function showWork(tip: Tip): void {
  const work =
    tip.work !== undefined
      ? BigInt(tip.work)
      : state.chain?.retarget === "fixed"
        ? BigInt(tip.length) * fixedWork()
        : null;
  element("chain-work-fact").hidden = work === null;
  element("chain-work").textContent = work === null ? "" : hashes(work);
}

/** How many reads of the tip the page has asked: only the latest one's answer is shown. */
let tipsAsked = 0;

async function readTip(): Promise<Tip> {
  const asked = ++tipsAsked;
  const tip = await api<Tip>("/chain/tip");
  if (asked === tipsAsked) showWork(tip);
  return tip;
}

/** Reads the bits of a block that arrived by an event, and shows its target in its row (while the row still holds it). */
async function fillBits(index: number, hash: string): Promise<void> {
  const page = await api<{ chain: Block[] }>(`/chain?from=${index}&limit=1`);
  const bits = page.chain[0]?.bits;
  const row = state.blocks.find((b) => b.index === index && b.hash === hash);
  if (bits === undefined || row === undefined) return;
  row.bits = bits;
  const cell = element("blocks").querySelector<HTMLElement>(`tr[data-index="${index}"] td.target`);
  if (cell !== null) targetCell(cell, bits);
}

function setHeight(height: number): void {
  state.height = Math.max(state.height, height);
  element("height").textContent = String(state.height);
}

function blockRow(row: BlockRow, fresh: boolean): HTMLTableRowElement {
  const tr = make("tr");
  if (fresh) tr.className = "fresh";
  tr.dataset.index = String(row.index);
  const button = make("button", String(row.index));
  button.type = "button";
  button.setAttribute("aria-label", `Show the transactions of block ${row.index}`);
  button.addEventListener("click", () => navigate(blockHref(row.index)));
  const hash = make("td", shortHash(row.hash), "hash");
  if (row.hash !== null) hash.title = row.hash;
  const target = make("td", "", "target");
  targetCell(target, row.bits);
  const miner = cell(row.miner === null ? "—" : addressNode(row.miner), "miner");
  if (row.miner !== null) miner.title = row.miner;
  tr.append(cell(button), hash, target, make("td", time(row.timestamp)), make("td", String(row.transactions)), miner);
  return tr;
}

function renderBlocks(freshIndex?: number): void {
  const body = element("blocks");
  body.replaceChildren(...state.blocks.map((row) => blockRow(row, row.index === freshIndex)));
  const oldest = state.blocks.at(-1)?.index ?? GENESIS_INDEX;
  element<HTMLButtonElement>("older").hidden = oldest <= GENESIS_INDEX;
}

/** Reads blocks from..to with the block after them, so that each one's hash is its successor's previous_hash. */
async function readBlocks(from: number, to: number, tipHash: string | null): Promise<BlockRow[]> {
  const page = await api<{ chain: Block[]; length: number }>(`/chain?from=${from}&limit=${to - from + 2}`);
  const rows: BlockRow[] = [];
  page.chain.forEach((block, i) => {
    if (block.index > to) return;
    const next = page.chain[i + 1];
    const hash = next ? next.previous_hash : block.index === page.length ? tipHash : null;
    rows.push(rowOf(block, hash));
    state.timestamps.set(block.index, block.timestamp);
  });
  setHeight(page.length);
  return rows.reverse();
}

/** The newest page of blocks, read again (at start, after a chain replaced, after a reconnect). */
async function loadRecent(): Promise<void> {
  const since = state.blockEvents;
  const tip = await readTip();
  const from = Math.max(GENESIS_INDEX, tip.length - PAGE + 1);
  state.timestamps.clear();
  const rows = await readBlocks(from, tip.length, tip.hash);
  // A block an event brought while the page was read is past the tip read: it stays, as the newest.
  const newer = state.blocks.filter((b) => b.index > tip.length && (state.arrived.get(b.index) ?? 0) > since);
  state.blocks = [...newer, ...rows];
  renderBlocks();
  drawBlockTimes();
}

async function loadOlder(): Promise<void> {
  const oldest = state.blocks.at(-1);
  if (oldest === undefined || oldest.index <= GENESIS_INDEX) return;
  const to = oldest.index - 1;
  const rows = await readBlocks(Math.max(GENESIS_INDEX, to - PAGE + 1), to, null);
  state.blocks.push(...rows);
  renderBlocks();
  drawBlockTimes();
}

/** A cell of a table: text, or an element (a link). */
function cell(content: string | Node, className = ""): HTMLTableCellElement {
  const td = make("td", "", className);
  td.append(content);
  return td;
}

/** A table in its scrolling box, with a row that says `empty` when it has none. */
function table(headers: readonly string[], rows: HTMLTableRowElement[], empty: string, id = ""): HTMLDivElement {
  const head = make("tr");
  for (const name of headers) {
    const th = make("th", name);
    th.scope = "col";
    head.append(th);
  }
  const thead = make("thead");
  thead.append(head);
  const body = make("tbody");
  body.append(...(rows.length > 0 ? rows : [emptyRow(headers.length, empty)]));
  const built = make("table");
  if (id) built.id = id;
  built.append(thead, body);
  const scroll = make("div", "", "scroll");
  scroll.append(built);
  return scroll;
}

/** One fact of a view: its label, its value (text or a link), the value's id, and whether it takes a whole line (a hash, an address). */
interface Fact {
  label: string;
  value: string | Node;
  id?: string;
  wide?: boolean;
}

/** Facts as the node card shows them: a label above each value. */
function facts(entries: readonly Fact[]): HTMLDListElement {
  const list = make("dl", "", "facts");
  for (const { label, value, id, wide } of entries) {
    const dd = make("dd", "", wide ? "mono" : "");
    dd.append(value);
    if (id) dd.id = id;
    const pair = make("div", "", wide ? "full" : "");
    pair.append(make("dt", label), dd);
    list.append(pair);
  }
  return list;
}

function link(text: string, href: string, className = ""): HTMLAnchorElement {
  const anchor = make("a", text, className);
  anchor.href = href;
  return anchor;
}

/** The page's addresses: #/account/<address>, #/account/<address>?before=<cursor>, #/tx/<id>, #/block/<height or hash>. */
const accountHref = (address: string, before: string | null = null): string =>
  `#/account/${encodeURIComponent(address)}${before === null ? "" : `?before=${encodeURIComponent(before)}`}`;
const transactionHref = (id: string): string => `#/tx/${encodeURIComponent(id)}`;
const blockHref = (at: number | string): string => `#/block/${encodeURIComponent(String(at))}`;

const isAccountsChain = (): boolean => state.chain?.ledger === "accounts";

/** An address as a link to its account on an accounts chain; the walkthrough's names as text. */
const addressNode = (address: string): HTMLElement =>
  isAccountsChain() ? link(address, accountHref(address), "mono") : make("span", address);

/** A transaction's sender: an address (or name), or "0", which marks a block's reward. */
const senderNode = (sender: string): HTMLElement => (sender === "0" ? make("span", "0 (reward)") : addressNode(sender));

/** A transaction id as a short link to its view, the whole id on hover. */
function transactionLink(id: string): HTMLAnchorElement {
  const anchor = link(shortHash(id), transactionHref(id), "mono");
  anchor.title = id;
  return anchor;
}

const plural = (count: number, one: string): string => `${count} ${one}${count === 1 ? "" : "s"}`;
const amountOf = (value: number | undefined): string => (value === undefined ? "—" : String(value));

/** What the page is showing, from its URL's fragment. */
type Route =
  | { kind: "none" }
  | { kind: "account"; address: string; before: string | null }
  | { kind: "transaction"; id: string }
  | { kind: "block"; height: number }
  | { kind: "block-hash"; hash: string };

const HASH_TEXT = /^[0-9a-f]{64}$/;
const HEIGHT_TEXT = /^[1-9][0-9]{0,15}$/;
const NO_ROUTE: Route = { kind: "none" };

function parseRoute(fragment: string): Route {
  const [path = "", query = ""] = fragment.replace(/^#/, "").split("?", 2);
  let parts: string[];
  try {
    parts = path.split("/").map(decodeURIComponent);
  } catch {
    return NO_ROUTE;
  }
  const [root, kind, value] = parts;
  if (root !== "" || value === undefined || parts.length !== 3) return NO_ROUTE;
  if (kind === "account" && value !== "") {
    return { kind: "account", address: value, before: new URLSearchParams(query).get("before") };
  }
  if (kind === "tx" && HASH_TEXT.test(value)) return { kind: "transaction", id: value };
  if (kind === "block" && HEIGHT_TEXT.test(value) && Number.isSafeInteger(Number(value))) {
    return { kind: "block", height: Number(value) };
  }
  if (kind === "block" && HASH_TEXT.test(value)) return { kind: "block-hash", hash: value };
  return NO_ROUTE;
}

const VIEW_TITLES: Record<Exclude<Route["kind"], "none">, string> = {
  account: "Account",
  transaction: "Transaction",
  block: "Block",
  "block-hash": "Block",
};

/** Transactions in a page of an account's history. */
const HISTORY_PAGE = 10;

interface PendingTransfer {
  id: string;
  transaction: Transaction;
}

interface AccountAnswer {
  address: string;
  balance: number;
  nonce: number;
  pending: { from: PendingTransfer[]; to: PendingTransfer[] };
}

interface ConfirmedTransaction {
  id: string;
  block: number;
  position: number;
  confirmations: number;
  transaction: Transaction;
}

interface HistoryAnswer {
  transactions: ConfirmedTransaction[];
  /** The cursor of the page before this one (older), or null at the first transaction. */
  next: string | null;
}

type TransactionAnswer =
  | { id: string; status: "pending"; transaction: Transaction }
  | ({ status: "confirmed" } & ConfirmedTransaction);

interface BlockAnswer {
  hash: string;
  height: number;
  confirmations: number;
  block: Block;
}

/** Which way a transaction goes for `address`, and the other side. */
function sides(tx: Transaction, address: string): { direction: string; other: string | null } {
  if (tx.sender === "0") return { direction: "reward", other: null };
  if (tx.sender === address && tx.recipient === address) return { direction: "to itself", other: address };
  if (tx.sender === address) return { direction: "out", other: tx.recipient };
  return { direction: "in", other: tx.sender };
}

/** What transfers pending from or to an account add up to: for the sender, amounts and fees. */
function pendingSum(transfers: readonly PendingTransfer[], withFees: boolean): string {
  if (transfers.length === 0) return "none";
  const sum = transfers.reduce((total, { transaction: tx }) => total + tx.amount + (withFees ? (tx.fee ?? 0) : 0), 0);
  return `${sum} (${plural(transfers.length, "transfer")})`;
}

async function accountView(address: string, before: string | null): Promise<Node[]> {
  const path = `/accounts/${encodeURIComponent(address)}`;
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (before !== null) query.set("before", before);
  const [account, history] = await Promise.all([
    api<AccountAnswer>(path),
    api<HistoryAnswer>(`${path}/transactions?${query}`),
  ]);
  const { from, to } = account.pending;
  const pendingRows = [
    ...from.map((p) => ({ ...p, direction: "out", other: p.transaction.recipient })),
    ...to.map((p) => ({ ...p, direction: "in", other: p.transaction.sender })),
  ].map(({ id, transaction: tx, direction, other }) => {
    const tr = make("tr");
    tr.append(
      cell(transactionLink(id)),
      cell(direction),
      cell(addressNode(other)),
      cell(String(tx.amount)),
      cell(amountOf(tx.fee)),
      cell(amountOf(tx.nonce)),
    );
    return tr;
  });
  const historyRows = history.transactions.map(({ id, block, transaction: tx }) => {
    const { direction, other } = sides(tx, account.address);
    const tr = make("tr");
    tr.append(
      cell(link(String(block), blockHref(block))),
      cell(transactionLink(id)),
      cell(direction),
      cell(other === null ? "—" : addressNode(other)),
      cell(String(tx.amount)),
      cell(amountOf(tx.fee)),
    );
    return tr;
  });
  const pager = make("p", "", "pager");
  if (before !== null) pager.append(link("Newest", accountHref(account.address)));
  if (history.next !== null) pager.append(link("Older", accountHref(account.address, history.next)));
  return [
    make("p", account.address, "mono subject"),
    facts([
      { label: "Balance", value: String(account.balance), id: "account-balance" },
      { label: "Nonce", value: String(account.nonce), id: "account-nonce" },
      { label: "Pending out", value: pendingSum(from, true), id: "account-pending-out" },
      { label: "Pending in", value: pendingSum(to, false), id: "account-pending-in" },
    ]),
    make("h3", "Pending"),
    table(["Id", "Direction", "From or to", "Amount", "Fee", "Nonce"], pendingRows, "None pending", "account-pending"),
    make("h3", before === null ? "Transactions, newest first" : "Older transactions, newest first"),
    table(
      ["Block", "Id", "Direction", "From or to", "Amount", "Fee"],
      historyRows,
      before === null ? "None confirmed yet" : "None older",
      "account-transactions",
    ),
    pager,
  ];
}

async function transactionView(id: string): Promise<Node[]> {
  const status = (text: string, kind: string): HTMLParagraphElement => {
    const shown = make("p", text, `status ${kind}`);
    shown.id = "tx-status";
    return shown;
  };
  let found: TransactionAnswer;
  try {
    found = await api<TransactionAnswer>(`/transactions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (!(error instanceof ApiFailure && error.body.status === "unknown")) throw error;
    return [make("p", id, "mono subject"), status(`Unknown: ${error.body.message}`, "unknown")];
  }
  const tx = found.transaction;
  const confirmed = found.status === "confirmed" ? found : null;
  return [
    make("p", found.id, "mono subject"),
    confirmed === null
      ? status("Pending: this node holds it for a coming block", "pending")
      : status(`In block ${confirmed.block}, ${plural(confirmed.confirmations, "confirmation")}`, "confirmed"),
    facts([
      { label: "Sender", value: senderNode(tx.sender), id: "tx-sender", wide: true },
      { label: "Recipient", value: addressNode(tx.recipient), id: "tx-recipient", wide: true },
      { label: "Amount", value: String(tx.amount), id: "tx-amount" },
      { label: "Fee", value: amountOf(tx.fee), id: "tx-fee" },
      { label: "Nonce", value: amountOf(tx.nonce), id: "tx-nonce" },
      {
        label: "Block",
        value: confirmed === null ? "none yet" : link(String(confirmed.block), blockHref(confirmed.block)),
        id: "tx-block",
      },
    ]),
  ];
}

type BlockRoute = Extract<Route, { kind: "block" | "block-hash" }>;

/** A block by its hash (GET /blocks/{hash}) or by its height (GET /chain, its hash from the block after it or the tip). */
async function blockView(route: BlockRoute): Promise<Node[]> {
  if (route.kind === "block-hash") return blockDetail(await api<BlockAnswer>(`/blocks/${route.hash}`));
  const page = await api<{ chain: Block[]; length: number }>(`/chain?from=${route.height}&limit=2`);
  const [block, next] = page.chain;
  if (block === undefined) {
    const message = `No block at height ${route.height}: this node's chain has ${plural(page.length, "block")}.`;
    return [make("p", message, "status unknown")];
  }
  const tip = next === undefined ? await api<Tip>("/chain/tip") : null;
  const hash = next?.previous_hash ?? (tip?.length === block.index ? tip.hash : null);
  return blockDetail({ block, hash, confirmations: page.length - block.index + 1 });
}

/** A block's detail: its target, hash, time and depth, and its transactions (on an accounts chain, their addresses link to their accounts). */
function blockDetail({
  block,
  hash,
  confirmations,
}: {
  block: Block;
  hash: string | null;
  confirmations: number;
}): Node[] {
  const accounts = isAccountsChain();
  const rows = block.transactions.map((tx) => {
    const tr = make("tr");
    tr.append(cell(senderNode(tx.sender)), cell(addressNode(tx.recipient)), cell(String(tx.amount)));
    if (accounts) tr.append(cell(amountOf(tx.fee)), cell(amountOf(tx.nonce)));
    return tr;
  });
  const target = targetOf(block.bits ?? null);
  const detail = make("div");
  detail.id = "block-detail";
  detail.append(
    make("h3", `Block ${block.index}: ${block.transactions.length} transactions, proof ${block.proof}`),
    make("p", target === null ? "" : `Target: ${target.hashes} expected (${target.source})`, "target"),
    facts([
      { label: "Hash", value: hash ?? "…", id: "block-hash", wide: true },
      { label: "Time", value: time(block.timestamp) },
      { label: "Confirmations", value: String(confirmations), id: "block-confirmations" },
    ]),
    make("p", `Previous hash ${block.previous_hash}`, "mono help"),
    table(
      accounts ? ["Sender", "Recipient", "Amount", "Fee", "Nonce"] : ["Sender", "Recipient", "Amount"],
      rows,
      "No transactions",
    ),
  );
  return [detail];
}

function routeView(route: Exclude<Route, { kind: "none" }>): Promise<Node[]> {
  switch (route.kind) {
    case "account":
      return accountView(route.address, route.before);
    case "transaction":
      return transactionView(route.id);
    default:
      return blockView(route);
  }
}

/** What a failed read says on the page: the API's own message, or that the node did not answer. */
const failureText = (error: unknown): string =>
  error instanceof ApiFailure
    ? error.message
    : `The node did not answer: ${error instanceof Error ? error.message : String(error)}`;

/** The view's renders: only the latest one asked writes; a refresh asked while one runs runs after it. */
const views = { asked: 0, running: false, again: false };

/**
 * Shows the view the URL's fragment names (an account, a transaction, a
 * block), or none; `moved` when the user went there (a link, a search, a
 * click), which brings the view into sight.
 */
async function render(moved: boolean): Promise<void> {
  const asked = ++views.asked;
  views.running = true;
  const route = parseRoute(location.hash);
  const section = element("view");
  let body: Node[] = [];
  if (route.kind !== "none") {
    try {
      body = await routeView(route);
    } catch (error) {
      body = [make("p", failureText(error), "status unknown")];
    }
  }
  if (asked !== views.asked) return;
  views.running = false;
  section.hidden = route.kind === "none";
  element("view-title").textContent = route.kind === "none" ? "" : VIEW_TITLES[route.kind];
  element("view-body").replaceChildren(...body);
  if (moved && route.kind !== "none") {
    // Brought into sight when its top is not (a block clicked far down the page); else the search box stays in sight above it.
    const { top } = section.getBoundingClientRect();
    if (top < 0 || top > window.innerHeight / 2) section.scrollIntoView({ block: "start" });
    element("view-title").focus({ preventScroll: true });
  }
  if (views.again) {
    views.again = false;
    void render(false);
  }
}

/** The view read again (a block came, the chain changed), once at a time. */
function refreshView(): void {
  if (parseRoute(location.hash).kind === "none") return;
  if (views.running) views.again = true;
  else void render(false);
}

/** Goes to a view: a new fragment renders through hashchange; the same one is rendered again. */
function navigate(fragment: string): void {
  if (location.hash === fragment) void render(true);
  else location.hash = fragment;
}

/** bech32's alphabet, bech32m's checksum constant and generator (BIP 350). */
const BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONSTANT = 0x2bc830a3;
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: readonly number[]): number {
  let check = 1;
  for (const value of values) {
    const top = check >>> 25;
    check = ((check & 0x1ffffff) << 5) ^ value;
    BECH32_GENERATOR.forEach((generator, i) => {
      if ((top >>> i) & 1) check ^= generator;
    });
  }
  return check;
}

/**
 * A text with an address's shape (bech32: a prefix, "1", then at least six
 * characters of its alphabet, in one case): the address in lower case, as the
 * node writes addresses, its prefix, and whether its bech32m checksum holds.
 * Null for any other text. The node checks the rest (the length, the key).
 */
function addressText(text: string): { address: string; prefix: string; checksum: boolean } | null {
  const address = text.toLowerCase();
  if (text !== address && text !== text.toUpperCase()) return null;
  const separator = address.lastIndexOf("1");
  const prefix = address.slice(0, separator);
  const data = [...address.slice(separator + 1)];
  if (separator < 1 || data.length < 6 || !/^[\x21-\x7e]+$/.test(prefix)) return null;
  if (!data.every((c) => BECH32_ALPHABET.includes(c))) return null;
  const codes = [...prefix].map((c) => c.charCodeAt(0));
  const values = [
    ...codes.map((c) => c >> 5),
    0,
    ...codes.map((c) => c & 31),
    ...data.map((c) => BECH32_ALPHABET.indexOf(c)),
  ];
  return { address, prefix, checksum: bech32Polymod(values) === BECH32M_CONSTANT };
}

/** Searches being answered: only the latest one's answer shows. */
let searches = 0;

/**
 * What a search finds: a block height, a block hash, else (on an accounts
 * chain) a transaction id, an address; it goes to its view, or says plainly
 * on the page that nothing matches, and why.
 */
async function search(text: string): Promise<void> {
  const asked = ++searches;
  const answer = element("search-answer");
  const say = (message: string): void => {
    if (asked === searches) answer.textContent = message;
  };
  const go = (fragment: string): void => {
    if (asked !== searches) return;
    answer.textContent = "";
    navigate(fragment);
  };
  const query = text.trim();
  say("");
  if (query === "") {
    say("Type an address, a transaction id, a block height or a block hash.");
    return;
  }
  try {
    // What the chain is (its ledger, its prefix) decides what a text can be: read it first if the page has not yet.
    const chain = state.chain ?? (await loadStats()).chain;
    const accounts = chain.ledger === "accounts";
    const prefix = chain.address_prefix;
    const noAccounts = `this chain, ${chain.name}, keeps no accounts: its transactions are between names`;
    if (/^[0-9]+$/.test(query)) {
      const height = Number(query);
      const page =
        Number.isSafeInteger(height) && height >= 1
          ? await api<{ chain: Block[]; length: number }>(`/chain?from=${height}&limit=1`)
          : null;
      if (page !== null && page.chain.length > 0) go(blockHref(height));
      else
        say(
          `No block at height ${query}: this node's chain has ${plural(page?.length ?? state.height, "block")}, from height 1.`,
        );
      return;
    }
    if (/^[0-9a-fA-F]{64}$/.test(query)) {
      const hash = query.toLowerCase();
      if (await found(`/blocks/${hash}`)) go(blockHref(hash));
      else if (!accounts)
        say(`No block of this node's chain has the hash ${hash}; and ${noAccounts}, so it has no transaction ids.`);
      else if (await found(`/transactions/${hash}`)) go(transactionHref(hash));
      else
        say(
          `Nothing matches ${hash}: no block of this node's chain has this hash, and no transaction this node holds or has in a block has this id.`,
        );
      return;
    }
    const address = addressText(query);
    if (address !== null && accounts && address.prefix === prefix) {
      if (address.checksum) go(accountHref(address.address));
      else say(`${query} is not an address of this chain: its checksum fails (a mistyped character?).`);
      return;
    }
    if (address?.checksum && accounts) {
      say(`${query} is an address of another chain: this chain's addresses start with ${prefix}1.`);
      return;
    }
    if (address?.checksum) {
      say(`${query} is an address, but ${noAccounts}.`);
      return;
    }
    say(
      accounts
        ? `Nothing matches "${query}": search for an address (${prefix}1…), a transaction id or block hash (64 hex digits), or a block height.`
        : `Nothing matches "${query}": search for a block height or a block hash (64 hex digits); ${noAccounts}.`,
    );
  } catch (error) {
    say(failureText(error));
  }
}

/** Whether a GET of `path` finds something: true on 200, false on 404; any other failure is thrown. */
async function found(path: string): Promise<boolean> {
  try {
    await api<unknown>(path);
    return true;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return false;
    throw error;
  }
}

function drawBlockTimes(): void {
  const indexes = [...state.timestamps.keys()].sort((a, b) => a - b);
  const xs: number[] = [];
  const gaps: number[] = [];
  for (const index of indexes) {
    const before = state.timestamps.get(index - 1);
    const at = state.timestamps.get(index);
    // The genesis is dated 2020: the gap after it says nothing of mining.
    if (before === undefined || at === undefined || index - 1 === GENESIS_INDEX) continue;
    xs.push(index);
    gaps.push(Number((at - before).toFixed(3)));
  }
  timesChart.reset(xs, gaps);
}

function txRow(tx: Transaction): HTMLTableRowElement {
  const tr = make("tr");
  tr.append(cell(addressNode(tx.sender)), cell(addressNode(tx.recipient)), cell(String(tx.amount)));
  return tr;
}

async function loadPending(): Promise<void> {
  const pending = await api<{ transactions: Transaction[]; length: number }>("/transactions/pending");
  const rows = pending.transactions.slice(-50).reverse().map(txRow);
  element("pending").replaceChildren(
    ...(rows.length > 0 ? rows : [emptyRow(3, "None: the next block holds only its reward")]),
  );
  element("pending-count").textContent = String(pending.length);
}

function showPeers(stats: Stats): void {
  const health = new Map(stats.peer_health.map((h) => [h.node, h]));
  const rows = stats.peers.map((peer) => {
    const h = health.get(peer);
    const tr = make("tr");
    const failing = h !== undefined && h.failures > 0;
    const healthCell = make(
      "td",
      failing ? `${h.failures} failures: ${h.last_error ?? ""}` : "healthy",
      failing ? "verdict-bad" : "verdict-good",
    );
    const retry = h?.retry_at ? `until ${new Date(h.retry_at).toLocaleTimeString()}` : "—";
    const verdict = state.verdicts.get(peer);
    tr.append(
      make("td", peer, "mono"),
      healthCell,
      make("td", retry),
      make("td", verdict ? `${verdict.verdict} (${verdict.source})` : "—"),
    );
    return tr;
  });
  element("peers").replaceChildren(...(rows.length > 0 ? rows : [emptyRow(4, "No peers registered")]));
}

/** How often the miners' figures are read again while the node has a Stratum endpoint: shares bring no event. */
const MINERS_POLL_MS = 5000;
/** Whether the miners' poll runs: it starts with the first /stats that has a Stratum endpoint. */
let pollingMiners = false;

/** The Stratum miners beside the node's own threads, with --stratum-port; the card stays hidden without it. */
function showMiners(stats: Stats): void {
  const stratum = stats.stratum ?? null;
  element("miners-card").hidden = stratum === null;
  if (stratum === null) return;
  if (!pollingMiners) {
    pollingMiners = true;
    setInterval(() => void loadStats(), MINERS_POLL_MS);
  }
  element("miners-summary").textContent =
    `${stratum.miners.length} miners on port ${stratum.port}, ${mhps(stratum.hashes_per_second)} together, beside the node's own ${stats.threads} threads at ${mhps(stats.hashes_per_second)}`;
  const rows = stratum.miners.map((miner) => {
    const tr = make("tr");
    const { accepted, stale, refused } = miner.shares;
    tr.append(
      make("td", miner.name ?? "—"),
      make("td", miner.address, "mono"),
      make("td", mhps(miner.hashes_per_second)),
      make("td", `${accepted} / ${stale} / ${refused}`),
      make("td", String(miner.blocks)),
      make("td", miner.last_share === null ? "—" : new Date(miner.last_share).toLocaleTimeString()),
    );
    return tr;
  });
  element("miners").replaceChildren(...(rows.length > 0 ? rows : [emptyRow(6, "No miner connected")]));
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  const tr = make("tr");
  const td = make("td", text, "help");
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

async function loadStats(): Promise<Stats> {
  const stats = await api<Stats>("/stats");
  showNode(stats);
  return stats;
}

/** The hash-rate chart from the node's recent jobs: their averages, when each ended. */
async function loadJobs(): Promise<void> {
  const { recent_jobs: jobs } = await loadStats();
  rateChart.reset(
    jobs.map((job) => Date.parse(job.finished_at) / 1000),
    jobs.map(() => null),
    jobs.map((job) => job.hashes_per_second / 1e6),
  );
}

/** Shows an action's answer, or the API's message when it failed. */
function answer(target: HTMLElement, text: string, failed: boolean): void {
  target.textContent = text;
  target.classList.toggle("failed", failed);
}

async function run(button: HTMLButtonElement, action: () => Promise<string>): Promise<void> {
  const target = element("action-answer");
  button.disabled = true;
  answer(target, `${button.textContent ?? ""}…`, false);
  try {
    answer(target, await action(), false);
  } catch (error) {
    answer(target, error instanceof Error ? error.message : String(error), true);
  } finally {
    button.disabled = false;
  }
}

async function mine(): Promise<string> {
  const mined = await api<{ message: string; index: number; proof: number; transactions: Transaction[] }>("/mine", {
    guarded: true,
  });
  return `${mined.message}: block ${mined.index}, ${mined.transactions.length} transactions, proof ${mined.proof}`;
}

async function resolve(): Promise<string> {
  const resolved = await api<{ message: string; peers: PeerReport[] }>("/nodes/resolve", { guarded: true });
  const peers = resolved.peers.map((p) => `${p.node}: ${p.verdict}${p.reason ? ` (${p.reason})` : ""}`);
  return [resolved.message, ...peers].join(" · ") + (peers.length === 0 ? " · no peers registered" : "");
}

const FIELDS = ["sender", "recipient", "amount"] as const;

/** The amount as the user wrote it, when it is a JSON number, so that the API judges its digits; else a string. */
function amountJson(text: string): string {
  const trimmed = text.trim();
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) ? trimmed : JSON.stringify(trimmed);
}

async function postTransaction(form: HTMLFormElement): Promise<void> {
  const value = (name: string) => element<HTMLInputElement>(name).value;
  const target = element("transaction-answer");
  for (const field of FIELDS) {
    element(`${field}-error`).textContent = "";
    element(field).removeAttribute("aria-invalid");
  }
  const body = `{"sender":${JSON.stringify(value("sender"))},"recipient":${JSON.stringify(value("recipient"))},"amount":${amountJson(value("amount"))}}`;
  try {
    const added = await api<{ message: string }>("/transactions/new", { method: "POST", body });
    answer(target, added.message, false);
    form.reset();
  } catch (error) {
    if (!(error instanceof ApiFailure)) {
      answer(target, String(error), true);
      return;
    }
    const unplaced: string[] = [];
    for (const { field, message } of error.body.errors ?? []) {
      const name = FIELDS.find((f) => f === field);
      if (name === undefined) {
        unplaced.push(message);
        continue;
      }
      element(`${name}-error`).textContent = message;
      element(name).setAttribute("aria-invalid", "true");
    }
    answer(target, [error.message, ...unplaced].join(" · "), true);
  }
}

/** The first wait before the page opens a stream the browser gave up on, doubled at each failure up to REOPEN_MAX_MS. */
const REOPEN_MS = 1000;
const REOPEN_MAX_MS = 10_000;

/**
 * The live stream: every event updates the page at once; a reconnect reads
 * everything again. EventSource retries a lost connection by itself, but gives
 * up for good on an answer that is not a stream (a stopping node's 503, a
 * proxy's 502 while the node is down): the page then opens another.
 */
function listen(): void {
  const live = element("live");
  let lost = false;
  let wait = REOPEN_MS;
  const open = (): void => {
    const source = new EventSource("/events");
    source.addEventListener("open", () => {
      live.textContent = "live";
      live.classList.add("on");
      if (lost) void refresh();
      lost = false;
      wait = REOPEN_MS;
    });
    source.addEventListener("error", () => {
      live.textContent = "reconnecting…";
      live.classList.remove("on");
      lost = true;
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(open, wait);
      wait = Math.min(2 * wait, REOPEN_MAX_MS);
    });
    follow(source);
  };
  open();
}

/** What each event of the stream changes on the page. */
function follow(source: EventSource): void {
  const on = <T>(kind: string, handle: (data: T) => void) =>
    source.addEventListener(kind, (message) => handle(JSON.parse((message as MessageEvent<string>).data) as T));

  on<BlockEvent>("block", (block) => {
    state.arrived.set(block.index, ++state.blockEvents);
    const oldest = state.arrived.keys().next();
    if (state.arrived.size > PAGE && !oldest.done) state.arrived.delete(oldest.value);
    setHeight(block.index);
    state.timestamps.set(block.index, block.timestamp);
    const { origin: _origin, ...shown } = block;
    state.blocks = [{ ...shown, bits: null }, ...state.blocks.filter((b) => b.index < block.index)];
    renderBlocks(block.index);
    drawBlockTimes();
    if (state.chain?.retarget !== "fixed") void fillBits(block.index, block.hash);
    void readTip();
    void loadPending();
    refreshView();
  });
  on<unknown>("chain", () => {
    void loadRecent();
    void loadPending();
    refreshView();
  });
  on<TransactionEvent>("transaction", (event) => {
    const route = parseRoute(location.hash);
    const { sender, recipient } = event.transaction;
    if (route.kind === "account" && (route.address === sender || route.address === recipient)) refreshView();
    const body = element("pending");
    if (body.querySelector("td[colspan]")) body.replaceChildren();
    body.prepend(txRow(event.transaction));
    while (body.children.length > 50) body.lastElementChild?.remove();
    element("pending-count").textContent = String(event.pending);
  });
  on<MiningEvent>("mining", (event) => {
    rateChart.add(Date.now() / 1000, event.hashes_per_second / 1e6, null);
    element("hash-rate").textContent = mhps(event.hashes_per_second);
  });
  on<JobEvent>("job", (event) => {
    rateChart.add(Date.now() / 1000, null, event.hashes_per_second / 1e6);
    element("hash-rate").textContent = mhps(event.hashes_per_second);
  });
  on<PeerEvent>("peer", (event) => {
    state.verdicts.set(event.node, event);
    void loadStats();
  });
}

/** Everything read again; the blocks and the view after /stats, whose chain says what their targets are and whether it keeps accounts. */
async function refresh(): Promise<void> {
  const stats = loadJobs();
  await Promise.all([stats.then(loadRecent), stats.then(() => render(false)), loadPending(), showTokenField()]);
}

/** The token field shows when the node has one (read again after a reconnect): its OpenAPI document then names the bearer scheme. */
async function showTokenField(): Promise<void> {
  const openapi = await api<{ components: { securitySchemes?: object } }>("/openapi.json");
  element("token-field").hidden = openapi.components.securitySchemes === undefined;
}

function start(): void {
  rateChart = new Chart(
    element("rate-chart"),
    "time",
    [
      { label: "while mining", stroke: "#0b5cad", width: 2, spanGaps: true, points: { show: true, size: 4 } },
      { label: "per job", stroke: "#c2410c", width: 0, points: { show: true, size: 8, fill: "#c2410c" } },
    ],
    true,
  );
  timesChart = new Chart(
    element("times-chart"),
    "block",
    [{ label: "seconds", stroke: "#1a6b32", width: 2, points: { show: true, size: 6 } }],
    false,
  );
  element("mine").addEventListener("click", (event) => void run(event.currentTarget as HTMLButtonElement, mine));
  element("resolve").addEventListener("click", (event) => void run(event.currentTarget as HTMLButtonElement, resolve));
  element("older").addEventListener("click", () => void loadOlder());
  const form = element<HTMLFormElement>("transaction");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void postTransaction(form);
  });
  element<HTMLFormElement>("search").addEventListener("submit", (event) => {
    event.preventDefault();
    void search(element<HTMLInputElement>("search-input").value);
  });
  window.addEventListener("hashchange", () => void render(true));
  listen();
  void refresh();
}

// uPlot's script is deferred, as this module is: both have run by DOMContentLoaded.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
