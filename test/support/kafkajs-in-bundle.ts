import { createLogClient } from "../../functions/kit/log/client.ts";

/**
 * An entry point for the bundle test: inside a Lambda-style bundle, choosing kafkajs must fail
 * on first use with a clear error (the bundles leave it out). Prints the error's name and message.
 */
try {
  await createLogClient({ brokers: ["127.0.0.1:1"], clientId: "bundle", auth: "none" }, "kafkajs")
    .admin()
    .close();
  console.log("loaded");
} catch (error) {
  console.log(`${(error as Error).name}: ${(error as Error).message}`);
}
