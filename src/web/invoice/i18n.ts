/**
 * Labels of the hosted invoice page and PDF. `en` defines the shape; every other catalog must have
 * exactly its keys (checked at compile time). Locale choice: the customer's first `preferred_locales`
 * entry the catalog has, else `Accept-Language`, else `en`. Arabic and Hebrew live in `i18n-rtl.ts`.
 */
import { ar, he } from './i18n-rtl.ts';

const en = {
  invoice: 'Invoice',
  invoiceNumber: 'Invoice number',
  from: 'From',
  billedTo: 'Billed to',
  status: 'Status',
  status_draft: 'Draft',
  status_open: 'Open',
  status_paid: 'Paid',
  status_uncollectible: 'Uncollectible',
  status_void: 'Void',
  dateIssued: 'Date of issue',
  dateDue: 'Date due',
  datePaid: 'Date paid',
  description: 'Description',
  quantity: 'Qty',
  amount: 'Amount',
  subtotal: 'Subtotal',
  discount: 'Discount',
  tax: 'Tax',
  total: 'Total',
  amountPaid: 'Amount paid',
  amountDue: 'Amount due',
  pay: 'Pay',
  downloadPdf: 'Download PDF',
  paymentSucceeded: 'Thank you! Your payment was received.',
  paymentDeclined: 'Your payment was declined. Please use another payment method.',
  paymentActionRequired: 'Your bank asks for additional authentication to complete this payment.',
  paymentFailed: 'This invoice could not be paid.',
  notFoundTitle: 'Invoice not found',
  notFoundBody: 'This invoice link is invalid or no longer available.',
  // h13b
  shipping: 'Shipping',
  taxId: 'Tax ID',
};

export type InvoiceMessages = typeof en;

const fr: InvoiceMessages = {
  invoice: 'Facture',
  invoiceNumber: 'Numéro de facture',
  from: 'De',
  billedTo: 'Facturé à',
  status: 'Statut',
  status_draft: 'Brouillon',
  status_open: 'Ouverte',
  status_paid: 'Payée',
  status_uncollectible: 'Irrécouvrable',
  status_void: 'Annulée',
  dateIssued: "Date d'émission",
  dateDue: "Date d'échéance",
  datePaid: 'Date de paiement',
  description: 'Description',
  quantity: 'Qté',
  amount: 'Montant',
  subtotal: 'Sous-total',
  discount: 'Remise',
  tax: 'Taxe',
  total: 'Total',
  amountPaid: 'Montant payé',
  amountDue: 'Montant dû',
  pay: 'Payer',
  downloadPdf: 'Télécharger le PDF',
  paymentSucceeded: 'Merci ! Votre paiement a été reçu.',
  paymentDeclined: 'Votre paiement a été refusé. Veuillez utiliser un autre moyen de paiement.',
  paymentActionRequired: 'Votre banque demande une authentification supplémentaire pour finaliser ce paiement.',
  paymentFailed: "Cette facture n'a pas pu être payée.",
  notFoundTitle: 'Facture introuvable',
  notFoundBody: "Ce lien de facture n'est pas valide ou n'est plus disponible.",
  // h13b
  shipping: 'Livraison',
  taxId: 'Numéro fiscal',
};

const de: InvoiceMessages = {
  invoice: 'Rechnung',
  invoiceNumber: 'Rechnungsnummer',
  from: 'Von',
  billedTo: 'Rechnung an',
  status: 'Status',
  status_draft: 'Entwurf',
  status_open: 'Offen',
  status_paid: 'Bezahlt',
  status_uncollectible: 'Uneinbringlich',
  status_void: 'Storniert',
  dateIssued: 'Ausstellungsdatum',
  dateDue: 'Fälligkeitsdatum',
  datePaid: 'Zahlungsdatum',
  description: 'Beschreibung',
  quantity: 'Menge',
  amount: 'Betrag',
  subtotal: 'Zwischensumme',
  discount: 'Rabatt',
  tax: 'Steuer',
  total: 'Gesamt',
  amountPaid: 'Bezahlter Betrag',
  amountDue: 'Fälliger Betrag',
  pay: 'Bezahlen',
  downloadPdf: 'PDF herunterladen',
  paymentSucceeded: 'Vielen Dank! Ihre Zahlung ist eingegangen.',
  paymentDeclined: 'Ihre Zahlung wurde abgelehnt. Bitte verwenden Sie eine andere Zahlungsmethode.',
  paymentActionRequired: 'Ihre Bank verlangt eine zusätzliche Authentifizierung für diese Zahlung.',
  paymentFailed: 'Diese Rechnung konnte nicht bezahlt werden.',
  notFoundTitle: 'Rechnung nicht gefunden',
  notFoundBody: 'Dieser Rechnungslink ist ungültig oder nicht mehr verfügbar.',
  // h13b
  shipping: 'Versand',
  taxId: 'Steuernummer',
};

const es: InvoiceMessages = {
  invoice: 'Factura',
  invoiceNumber: 'Número de factura',
  from: 'De',
  billedTo: 'Facturado a',
  status: 'Estado',
  status_draft: 'Borrador',
  status_open: 'Abierta',
  status_paid: 'Pagada',
  status_uncollectible: 'Incobrable',
  status_void: 'Anulada',
  dateIssued: 'Fecha de emisión',
  dateDue: 'Fecha de vencimiento',
  datePaid: 'Fecha de pago',
  description: 'Descripción',
  quantity: 'Cant.',
  amount: 'Importe',
  subtotal: 'Subtotal',
  discount: 'Descuento',
  tax: 'Impuesto',
  total: 'Total',
  amountPaid: 'Importe pagado',
  amountDue: 'Importe adeudado',
  pay: 'Pagar',
  downloadPdf: 'Descargar PDF',
  paymentSucceeded: '¡Gracias! Hemos recibido tu pago.',
  paymentDeclined: 'Tu pago ha sido rechazado. Usa otro método de pago.',
  paymentActionRequired: 'Tu banco solicita una autenticación adicional para completar este pago.',
  paymentFailed: 'No se ha podido pagar esta factura.',
  notFoundTitle: 'Factura no encontrada',
  notFoundBody: 'Este enlace de factura no es válido o ya no está disponible.',
  // h13b
  shipping: 'Envío',
  taxId: 'Identificación fiscal',
};

const ja: InvoiceMessages = {
  invoice: '請求書',
  invoiceNumber: '請求書番号',
  from: '請求元',
  billedTo: '請求先',
  status: 'ステータス',
  status_draft: '下書き',
  status_open: '未払い',
  status_paid: '支払い済み',
  status_uncollectible: '回収不能',
  status_void: '無効',
  dateIssued: '発行日',
  dateDue: '支払期日',
  datePaid: '支払日',
  description: '内容',
  quantity: '数量',
  amount: '金額',
  subtotal: '小計',
  discount: '割引',
  tax: '税',
  total: '合計',
  amountPaid: '支払済金額',
  amountDue: '請求金額',
  pay: '支払う',
  downloadPdf: 'PDF をダウンロード',
  paymentSucceeded: 'ありがとうございます。お支払いを受け付けました。',
  paymentDeclined: 'お支払いが拒否されました。別のお支払い方法をご利用ください。',
  paymentActionRequired: 'このお支払いを完了するには、カード発行会社による追加認証が必要です。',
  paymentFailed: 'この請求書を支払うことができませんでした。',
  notFoundTitle: '請求書が見つかりません',
  notFoundBody: 'この請求書のリンクは無効か、すでに利用できません。',
  // h13b
  shipping: '配送料',
  taxId: '税番号',
};

// h11rtl: the right-to-left catalogs (the page carries `dir="rtl"`; see pdf.ts for the PDF).
export const INVOICE_CATALOGS = { en, fr, de, es, ja, ar, he } satisfies Record<string, InvoiceMessages>;
export type InvoiceLocale = keyof typeof INVOICE_CATALOGS;

/** The catalog locale for a tag (`fr-CA` → `fr`), or null. */
export function catalogLocale(tag: string): InvoiceLocale | null {
  const first = tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  const base = first === 'iw' ? 'he' : first; // `iw`: Hebrew's obsolete code, still sent by some systems
  return Object.hasOwn(INVOICE_CATALOGS, base) ? (base as InvoiceLocale) : null;
}

/** Accept-Language tags, best first (q=0 dropped). */
function acceptedTags(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((t) => t.tag && t.tag !== '*' && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((t) => t.tag);
}

/** Customer `preferred_locales` first, then `Accept-Language`, then `en`. */
export function pickInvoiceLocale(preferred: readonly string[], acceptLanguage: string | undefined): InvoiceLocale {
  for (const tag of [...preferred, ...acceptedTags(acceptLanguage)]) {
    const l = catalogLocale(tag);
    if (l) return l;
  }
  return 'en';
}

export function invoiceMessages(locale: InvoiceLocale): InvoiceMessages {
  return INVOICE_CATALOGS[locale];
}
