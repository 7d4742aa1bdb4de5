import {
  CustomerRegistered,
  CustomerRegistrationRejected,
  RegisterCustomerRequested,
} from "./customers.ts";
import {
  DeliveryScheduled,
  DeliverySchedulingFailed,
  ScheduleDeliveryRequested,
} from "./deliveries.ts";
import {
  CommitInventoryRequested,
  InventoryCommandRejected,
  InventoryCommitted,
  InventoryReleased,
  InventoryReservationFailed,
  InventoryReserved,
  ProductRestocked,
  ReleaseInventoryRequested,
  ReserveInventoryRequested,
  RestockProductRequested,
} from "./inventory.ts";
import {
  CancelOrderRequested,
  CompleteOrderRequested,
  OrderCancelled,
  OrderCommandRejected,
  OrderCompleted,
  OrderPlaced,
  OrderRejected,
  PlaceOrderRequested,
} from "./orders.ts";
import {
  PaymentCommandRejected,
  PaymentFailed,
  PaymentInitiated,
  PaymentProcessed,
  PaymentRefunded,
  ProcessPaymentRequested,
  RefundPaymentRequested,
} from "./payments.ts";

/** Every event type Duplex knows, in one list. Order is only for display. */
export const catalog = [
  RegisterCustomerRequested,
  CustomerRegistered,
  CustomerRegistrationRejected,
  PlaceOrderRequested,
  OrderPlaced,
  OrderRejected,
  CancelOrderRequested,
  OrderCancelled,
  CompleteOrderRequested,
  OrderCompleted,
  OrderCommandRejected,
  RestockProductRequested,
  ProductRestocked,
  ReserveInventoryRequested,
  InventoryReserved,
  InventoryReservationFailed,
  ReleaseInventoryRequested,
  InventoryReleased,
  CommitInventoryRequested,
  InventoryCommitted,
  InventoryCommandRejected,
  ProcessPaymentRequested,
  PaymentInitiated,
  PaymentProcessed,
  PaymentFailed,
  RefundPaymentRequested,
  PaymentRefunded,
  PaymentCommandRejected,
  ScheduleDeliveryRequested,
  DeliveryScheduled,
  DeliverySchedulingFailed,
] as const;

export * from "./customers.ts";
export * from "./deliveries.ts";
export * from "./inventory.ts";
export * from "./orders.ts";
export * from "./payments.ts";
