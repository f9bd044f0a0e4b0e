/**
 * The explorer page (GET / in a browser): the node's state read from its
 * API, kept live by the events of GET /events. It talks to this node alone.
 */

interface Transaction {
  sender: string;
  recipient: string;
  amount: number;
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
}

interface FieldError {
  field: string;
  message: string;
}

interface ApiError {
  message: string;
  errors?: FieldError[];
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
  const cell = make("td");
  const button = make("button", String(row.index));
  button.type = "button";
  button.setAttribute("aria-label", `Show the transactions of block ${row.index}`);
  button.addEventListener("click", () => void showBlock(row.index));
  cell.append(button);
  const hash = make("td", shortHash(row.hash), "hash");
  if (row.hash !== null) hash.title = row.hash;
  const target = make("td", "", "target");
  targetCell(target, row.bits);
  const miner = make("td", row.miner ?? "—", "miner");
  if (row.miner !== null) miner.title = row.miner;
  tr.append(cell, hash, target, make("td", time(row.timestamp)), make("td", String(row.transactions)), miner);
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

async function showBlock(index: number): Promise<void> {
  const detail = element("block-detail");
  const page = await api<{ chain: Block[] }>(`/chain?from=${index}&limit=1`);
  const block = page.chain[0];
  if (block === undefined) return;
  const table = make("table");
  const head = make("thead");
  const headRow = make("tr");
  for (const name of ["Sender", "Recipient", "Amount"]) {
    const th = make("th", name);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = make("tbody");
  for (const tx of block.transactions) {
    const tr = make("tr");
    tr.append(
      make("td", tx.sender === "0" ? "0 (reward)" : tx.sender),
      make("td", tx.recipient),
      make("td", String(tx.amount)),
    );
    body.append(tr);
  }
  table.append(head, body);
  const scroll = make("div", "", "scroll");
  scroll.append(table);
  const target = targetOf(block.bits ?? null);
  detail.replaceChildren(
    make("h3", `Block ${block.index}: ${block.transactions.length} transactions, proof ${block.proof}`),
    make("p", target === null ? "" : `Target: ${target.hashes} expected (${target.source})`, "target"),
    make("p", `Previous hash ${block.previous_hash}`, "mono help"),
    scroll,
  );
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
  tr.append(make("td", tx.sender), make("td", tx.recipient), make("td", String(tx.amount)));
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
  });
  on<unknown>("chain", () => {
    void loadRecent();
    void loadPending();
  });
  on<TransactionEvent>("transaction", (event) => {
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

/** Everything read again; the blocks after /stats, whose chain says what their targets are. */
async function refresh(): Promise<void> {
  await Promise.all([loadJobs().then(loadRecent), loadPending(), showTokenField()]);
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
  listen();
  void refresh();
}

// uPlot's script is deferred, as this module is: both have run by DOMContentLoaded.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
