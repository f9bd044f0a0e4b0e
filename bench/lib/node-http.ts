import { readFileSync } from "node:fs";
import { type Agent, request as httpRequest } from "node:http";

/** A process's VmRSS (now), of it RssFile (file-backed: its binary, files it maps), and VmHWM (its peak so far), in MiB. */
export function memory(pid: number): { rss: number; file: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kib("VmRSS") / 1024, file: kib("RssFile") / 1024, hwm: kib("VmHWM") / 1024 };
}

export interface Answer {
  status: number;
  /** performance.now() when the status line and headers arrived. */
  headersAt: number;
  body: Buffer;
}

/** One request over node:http, with no timeout of its own (a resolve may take long). */
export function request(
  url: string,
  { method = "GET", body, agent }: { method?: string; body?: string; agent?: Agent } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const headersAt = performance.now();
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headersAt, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The JSON answer of a request that must succeed. */
export async function json<T>(url: string, init?: { method?: string; body?: string }): Promise<T> {
  const answer = await request(url, init);
  if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}: ${answer.body.toString("utf8")}`);
  return JSON.parse(answer.body.toString("utf8")) as T;
}
