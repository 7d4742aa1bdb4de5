import { afterAll } from "vitest";
import { removeTempDirs } from "./temp-dirs.ts";

// A setup file of every vitest project: each test file's scratch folders go when it ends.
afterAll(removeTempDirs);
