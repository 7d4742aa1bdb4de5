#!/usr/bin/env node
/**
 * The CDK app: `cdk synth|deploy -c stage=dev|prod` (default dev). Account and region come from
 * the CLI's credentials; nothing account-specific is committed.
 */
import { App } from "aws-cdk-lib";
import { buildDuplexApp } from "../lib/app.ts";

const app = new App();
buildDuplexApp(app);
app.synth();
