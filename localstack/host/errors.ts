/**
 * Named errors of the local functions host and its resources.
 *
 * @module
 */
import { StackError } from "../stack/errors.ts";

/** A local resource name the AWS service would refuse (too long, wrong characters). */
export class ResourceNameError extends StackError {
  /** The name that would be refused. */
  readonly resourceName: string;

  constructor(message: string, resourceName: string, hint: string) {
    super(message, { hint });
    this.name = "ResourceNameError";
    this.resourceName = resourceName;
  }
}

/** A string that should be an ARN with a region and an account is not one. */
export class InvalidArnError extends StackError {
  readonly arn: string;

  constructor(arn: string) {
    super(`expected an ARN with a region and a 12-digit account, got '${arn}'`);
    this.name = "InvalidArnError";
    this.arn = arn;
  }
}
