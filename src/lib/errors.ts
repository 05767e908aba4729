/**
 * The one catalog of API errors. Domain code throws `ApiError`s built here (with the `param` at fault);
 * the API's single error handler renders them as Stripe's `{error:{type,code,message,param}}`.
 * Statuses follow what stripe-node maps back to its error classes (src/Error.ts): 400/404 →
 * InvalidRequestError, 401 → AuthenticationError, 402 → CardError, 409 → retried, 429 → RateLimitError.
 */
export type ErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error';

export interface ErrorBody {
  type: ErrorType;
  code?: string;
  decline_code?: string;
  message: string;
  param?: string;
  doc_url?: string;
  payment_method?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

const DOCS = 'https://docs.stripe.com/error-codes';

function make(status: number, type: ErrorType, message: string, code?: string, param?: string): ApiError {
  const body: ErrorBody = { type, message };
  if (code) {
    body.code = code;
    body.doc_url = `${DOCS}/${code.replace(/_/g, '-')}`;
  }
  if (param) body.param = param;
  return new ApiError(status, body);
}

/** Constructors for every error Portico can answer with. */
export const errors = {
  missingParam: (param: string) =>
    make(400, 'invalid_request_error', `Missing required param: ${param}.`, 'parameter_missing', param),
  unknownParam: (param: string) =>
    make(400, 'invalid_request_error', `Received unknown parameter: ${param}`, 'parameter_unknown', param),
  /**
   * The one refusal of a Stripe parameter (or one of its values) that Portico knows but chooses not to
   * support: code `parameter_unsupported`, naming the parameter, with the reason. Never `unknown`.
   * @example errors.unsupportedParam('automatic_tax[enabled]', 'Portico has no tax engine; use tax_rates.')
   */
  unsupportedParam: (param: string, reason: string) =>
    make(400, 'invalid_request_error', `${param} is not supported by Portico: ${reason}`, 'parameter_unsupported', param),
  invalidParam: (param: string, message: string, code?: string) =>
    make(400, 'invalid_request_error', message, code, param),
  invalidInteger: (param: string, value: string) =>
    make(400, 'invalid_request_error', `Invalid integer: ${clip(value)}`, 'parameter_invalid_integer', param),
  emptyString: (param: string) =>
    make(
      400,
      'invalid_request_error',
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      'parameter_invalid_empty',
      param,
    ),
  exclusive: (params: string[]) =>
    make(
      400,
      'invalid_request_error',
      `You may only specify one of these parameters: ${params.join(', ')}.`,
      'parameters_exclusive',
      params[0],
    ),
  invalidRequest: (message: string, param?: string, code?: string) =>
    make(400, 'invalid_request_error', message, code, param),
  malformedBody: (message: string) => make(400, 'invalid_request_error', message),
  resourceMissing: (kind: string, id: string, param = 'id') =>
    make(404, 'invalid_request_error', `No such ${kind}: '${clip(id)}'`, 'resource_missing', param),
  noActiveDiscount: (kind: 'customer' | 'subscription', id: string) =>
    make(404, 'invalid_request_error', `No active discount for ${kind}: '${clip(id)}'`, 'resource_missing', kind),
  resourceExists: (message: string, param?: string) =>
    make(400, 'invalid_request_error', message, 'resource_already_exists', param),
  unrecognizedUrl: (method: string, path: string) =>
    make(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${method}: ${clip(path)}). Please see https://docs.stripe.com or we can help at https://support.stripe.com/.`,
    ),
  noApiKey: () =>
    make(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    ),
  /** An Authorization header that is there but not `Bearer <key>` or `Basic <base64 of key:>`; never echoed. */
  malformedAuthorization: () =>
    make(
      401,
      'invalid_request_error',
      "You did not provide an API key, though you did set your Authorization header. Using Bearer auth, your Authorization header should look something like 'Authorization: Bearer YOUR_SECRET_KEY'.",
    ),
  invalidApiKey: (key: string) =>
    make(401, 'invalid_request_error', `Invalid API Key provided: ${redactKey(key)}`, 'api_key_invalid'),
  publishableKey: () =>
    make(
      401,
      'invalid_request_error',
      'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
      'secret_key_required',
    ),
  invalidApiVersion: (version: string) =>
    make(400, 'invalid_request_error', `Invalid Stripe API version: ${clip(version)}`, 'api_version_invalid'),
  idempotencyMismatch: (key: string) =>
    make(
      400,
      'idempotency_error',
      `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${clip(key)}' if you meant to execute a different request.`,
      'idempotency_key_reused',
    ),
  idempotencyKeyTooLong: () =>
    make(
      400,
      'invalid_request_error',
      'Idempotency-Key must be at most 255 characters long.',
      'idempotency_key_invalid',
      'Idempotency-Key',
    ),
  idempotencyInUse: (key: string) =>
    make(
      409,
      'invalid_request_error',
      `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${clip(key)}. Please try again later.`,
      'idempotency_key_in_use',
    ),
  cannotExpand: (path: string) =>
    make(400, 'invalid_request_error', `This property cannot be expanded (${clip(path)}).`, undefined, 'expand'),
  cardDeclined: (message: string, declineCode: string, param?: string) => {
    const e = make(402, 'card_error', message, 'card_declined', param);
    e.body.decline_code = declineCode;
    return e;
  },
  cardError: (message: string, code: string, param?: string) => make(402, 'card_error', message, code, param),
  bodyTooLarge: () => make(400, 'invalid_request_error', 'The request body is too large.'),
  internal: () =>
    make(500, 'api_error', 'An unknown error occurred while processing your request. Please try again.'),
} as const;

/** Shortens user input quoted in messages so an error never echoes a megabyte back. */
export function clip(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** `sk_test_abc…wxyz` → `sk_test_********************wxyz`, as Stripe shows a wrong key. */
export function redactKey(key: string): string {
  const clipped = clip(key, 120);
  const prefix = /^(sk|pk|rk)_(test|live)_/.exec(clipped)?.[0] ?? '';
  const tail = clipped.length > prefix.length + 4 ? clipped.slice(-4) : '';
  return `${prefix}${'*'.repeat(Math.max(0, clipped.length - prefix.length - tail.length))}${tail}`;
}
