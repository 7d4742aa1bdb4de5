import { z } from "zod";

/**
 * Building blocks shared by several event types. Money is always integer minor units (cents), so
 * sums are exact and the money invariant can be checked to the cent.
 */

export const Id = z.string().min(1).max(128);

export const AmountCents = z.number().int().min(0);

export const Currency = z.string().regex(/^[A-Z]{3}$/, "expected an ISO-4217 code like EUR");

/**
 * A requested line. Quantity is any integer here on purpose: a negative or zero quantity is a
 * business rejection (`OrderRejected`), not a malformed message.
 */
export const RequestedItem = z.object({
  productId: Id,
  quantity: z.number().int(),
});

/** A line the domain accepted: positive quantity. */
export const ReservedItem = z.object({
  productId: Id,
  quantity: z.number().int().positive(),
});

export const PricedItem = z.object({
  productId: Id,
  quantity: z.number().int().positive(),
  unitPriceCents: AmountCents,
});

export const Address = z.object({
  line1: z.string().min(1).max(256),
  city: z.string().min(1).max(128),
  postalCode: z.string().min(1).max(16),
  country: z.string().regex(/^[A-Z]{2}$/, "expected an ISO-3166 alpha-2 code like DE"),
});

export const Reason = z.string().min(1).max(512);
