/**
 * Webhook signatures, exactly as stripe-node verifies them: header `t=<unix seconds>,v1=<hex>` where
 * the hex is HMAC-SHA256 over `"<t>.<raw body>"` keyed with the whole `whsec_…` secret as UTF-8.
 */
import { createHmac } from 'node:crypto';

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
