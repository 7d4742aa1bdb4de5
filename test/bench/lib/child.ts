import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Runs a bench module in its own process: stdout on /dev/null (Powertools' JSON logs and EMF
 * metrics land there), stderr filtered (our `[bench …]` progress lines pass, library warnings are
 * only counted), `input` sent over IPC, and the first IPC message back is the result.
 */
export async function runChild<T>(
  module: URL,
  options: { args?: readonly string[]; execArgv?: readonly string[]; input?: unknown } = {},
): Promise<{ result: T; otherStderrLines: number; sampleStderr: string[] }> {
  const child = fork(fileURLToPath(module), [...(options.args ?? [])], {
    execArgv: [...(options.execArgv ?? [])],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let otherStderrLines = 0;
  const sampleStderr: string[] = [];
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const lines = (tail + chunk.toString("utf8")).split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("[bench")) process.stderr.write(`${line}\n`);
      else if (line.trim() !== "") {
        otherStderrLines++;
        if (sampleStderr.length < 20) sampleStderr.push(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (options.input !== undefined) child.send(options.input as never);
  const result = await new Promise<T>((resolve, reject) => {
    child.once("message", (message) => resolve(message as T));
    child.once("error", reject);
    void exited.then((code) =>
      reject(
        new Error(
          `${fileURLToPath(module)} exited with ${code} before reporting: ${sampleStderr.slice(-5).join(" | ")}`,
        ),
      ),
    );
  });
  await exited;
  return { result, otherStderrLines, sampleStderr };
}
