import type { Snapshot } from "./monitor.ts";

const tty = process.stdout.isTTY === true;
const color = (code: number, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const green = (text: string) => color(32, text);
export const red = (text: string) => color(31, text);
export const dim = (text: string) => color(2, text);
export const bold = (text: string) => color(1, text);

const ms = (value: number | undefined) => (value === undefined ? "–" : `${Math.round(value)} ms`);

/** The live progress block: redrawn in place on a terminal, a line every few seconds otherwise. */
export class ProgressView {
  #drawn = 0;
  #lastLine = 0;
  readonly #total: number;
  readonly #started = Date.now();

  constructor(totalOrders: number) {
    this.#total = totalOrders;
  }

  render(snapshot: Snapshot, phase: string): void {
    const ended = snapshot.completed + snapshot.cancelled + snapshot.rejected;
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(0);
    const lines = [
      `${bold("orders")}   placed ${snapshot.placed}  completed ${green(String(snapshot.completed))}  cancelled ${snapshot.cancelled}  rejected ${snapshot.rejected}  (${ended}/${this.#total} ended)`,
      `${bold("log")}      ${snapshot.eventsOnLog} events, ${snapshot.eventsPerSecond.toFixed(0)} events/s`,
      `${bold("fast lane")} published → handled p50 ${ms(snapshot.fastLaneP50)}  p99 ${ms(snapshot.fastLaneP99)}  (${snapshot.fastLaneSamples} commands)`,
      `${bold("projectors")} lag ${snapshot.projectorLag} records   ${bold("DLQs")} ${snapshot.dlqMessages} messages, dead-letters topic ${snapshot.deadLetterRecords}`,
      dim(`${phase} · ${elapsed} s`),
    ];
    if (tty) {
      if (this.#drawn > 0) process.stdout.write(`\x1b[${this.#drawn}A`);
      for (const line of lines) process.stdout.write(`\x1b[2K${line}\n`);
      this.#drawn = lines.length;
    } else if (Date.now() - this.#lastLine > 5_000) {
      this.#lastLine = Date.now();
      console.log(
        `[${elapsed}s] ${phase}: ${ended}/${this.#total} ended, ${snapshot.completed} completed, ${snapshot.cancelled} cancelled, ${snapshot.rejected} rejected; ${snapshot.eventsPerSecond.toFixed(0)} events/s; fast lane p50 ${ms(snapshot.fastLaneP50)} p99 ${ms(snapshot.fastLaneP99)}; projector lag ${snapshot.projectorLag}; DLQ ${snapshot.dlqMessages}`,
      );
    }
  }

  /** Forgets the block so later output starts below it. */
  release(): void {
    this.#drawn = 0;
  }
}
