import type { Command } from "commander";

export function registerState(_program: Command): void {}
