import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";

/**
 * MSK IAM access control over SASL/OAUTHBEARER: the token is a SigV4-presigned URL made by AWS's
 * signer library from the function's role credentials. Tokens last 15 minutes; both clients ask
 * for a fresh one on every (re)authentication.
 *
 * @example
 * ```ts
 * const token = await mskIamToken("eu-west-1");
 * ```
 */
export async function mskIamToken(region: string): Promise<{ token: string; expiresAtMs: number }> {
  const { token, expiryTime } = await generateAuthToken({ region });
  return { token, expiresAtMs: expiryTime };
}
