// CoAP codes (RFC 7252 §3, §12.1): one byte, a 3-bit class and a 5-bit detail, written "c.dd".
// Class 0 holds the methods (0.00 is the Empty message), classes 2, 4 and 5 the responses; 1, 6 and 7 are reserved
// on UDP (7 is signalling on reliable transports, RFC 8323, and never valid in a datagram).

export function makeCode (codeClass: number, detail: number): number {
  return ((codeClass & 0x07) << 5) | (detail & 0x1f)
}

export function codeClass (code: number): number {
  return code >>> 5
}

export function codeDetail (code: number): number {
  return code & 0x1f
}

/** 69 -> "2.05" */
export function formatCode (code: number): string {
  const detail = code & 0x1f
  return `${code >>> 5}.${detail < 10 ? '0' : ''}${detail}`
}

/** "2.05" -> 69; undefined when the text is not c.dd with c 0-7 and dd 00-31. */
export function parseCode (text: string): number | undefined {
  const m = /^([0-7])\.([0-3][0-9])$/.exec(text)
  if (m === null) return undefined
  const detail = Number(m[2])
  return detail > 31 ? undefined : makeCode(Number(m[1]), detail)
}

/** Reserved classes (1, 6, 7) make a datagram a format error. */
export function isReservedCodeClass (code: number): boolean {
  const c = code >>> 5
  return c === 1 || c >= 6
}

export function isEmptyCode (code: number): boolean {
  return code === 0
}

export function isRequestCode (code: number): boolean {
  return code !== 0 && code >>> 5 === 0
}

export function isResponseCode (code: number): boolean {
  const c = code >>> 5
  return c === 2 || c === 4 || c === 5
}

export function isSuccessCode (code: number): boolean {
  return code >>> 5 === 2
}

/** Methods (RFC 7252 §12.1.1, RFC 8132) and response codes (RFC 7252 §12.1.2, RFC 7959, RFC 8132). */
export const Code = {
  EMPTY: 0x00,
  GET: 0x01,
  POST: 0x02,
  PUT: 0x03,
  DELETE: 0x04,
  FETCH: 0x05,
  PATCH: 0x06,
  IPATCH: 0x07,
  CREATED: 0x41, // 2.01
  DELETED: 0x42, // 2.02
  VALID: 0x43, // 2.03
  CHANGED: 0x44, // 2.04
  CONTENT: 0x45, // 2.05
  CONTINUE: 0x5f, // 2.31
  BAD_REQUEST: 0x80, // 4.00
  UNAUTHORIZED: 0x81, // 4.01
  BAD_OPTION: 0x82, // 4.02
  FORBIDDEN: 0x83, // 4.03
  NOT_FOUND: 0x84, // 4.04
  METHOD_NOT_ALLOWED: 0x85, // 4.05
  NOT_ACCEPTABLE: 0x86, // 4.06
  REQUEST_ENTITY_INCOMPLETE: 0x88, // 4.08
  CONFLICT: 0x89, // 4.09
  PRECONDITION_FAILED: 0x8c, // 4.12
  REQUEST_ENTITY_TOO_LARGE: 0x8d, // 4.13
  UNSUPPORTED_CONTENT_FORMAT: 0x8f, // 4.15
  UNPROCESSABLE_ENTITY: 0x96, // 4.22
  INTERNAL_SERVER_ERROR: 0xa0, // 5.00
  NOT_IMPLEMENTED: 0xa1, // 5.01
  BAD_GATEWAY: 0xa2, // 5.02
  SERVICE_UNAVAILABLE: 0xa3, // 5.03
  GATEWAY_TIMEOUT: 0xa4, // 5.04
  PROXYING_NOT_SUPPORTED: 0xa5, // 5.05
} as const

export type CodeName = keyof typeof Code

const names = new Map<number, CodeName>(Object.entries(Code).map(([name, code]) => [code, name as CodeName]))

/** 69 -> "CONTENT"; undefined for a code without a registered name. */
export function codeName (code: number): CodeName | undefined {
  return names.get(code)
}
