import type { Command } from "commander";

export function registerProjection(_program: Command): void {}
