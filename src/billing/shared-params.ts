/** Param shapes several billing resources share (addresses, shipping). */
import { p } from '../lib/params.ts';

export const addressParam = p.object({
  city: p.emptyable(p.string({ max: 200 })),
  country: p.emptyable(p.string({ max: 2 })),
  line1: p.emptyable(p.string({ max: 200 })),
  line2: p.emptyable(p.string({ max: 200 })),
  postal_code: p.emptyable(p.string({ max: 20 })),
  state: p.emptyable(p.string({ max: 200 })),
});

export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

/** An address param as stored: every key present, unset ones null, country upper-cased. */
export function toAddress(a: Partial<Record<keyof Address, string | null>>): Address {
  return {
    city: a.city ?? null,
    country: a.country ? a.country.toUpperCase() : null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    postal_code: a.postal_code ?? null,
    state: a.state ?? null,
  };
}

export const shippingParam = p.object({
  address: addressParam.req(),
  name: p.string({ max: 5000 }).req(),
  phone: p.emptyable(p.string({ max: 20 })),
});
