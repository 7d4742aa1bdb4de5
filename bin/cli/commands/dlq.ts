import type { Command } from "commander";

export function registerDlq(_program: Command): void {}
