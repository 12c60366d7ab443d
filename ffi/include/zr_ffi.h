/*
 * zr_ffi.h: the zrollup settlement for go-zenon (the zr-ffi crate, built as libzr_ffi.a).
 *
 * Bytes in, bytes out. Inputs are a pointer and a length (at most ZR_MAX_INPUT_LEN bytes, else ZR_ERR_TOO_LARGE;
 * any pointer when the length is 0), in the rollup's canonical encoding (docs/protocol.md, "Byte layouts"); an
 * input past its own type's limit (parameters 64 KiB, a claim record 4 KiB, a claim, proof or payload 16 KiB)
 * does not decode (ZR_ERR_DECODE). The bytes must not change during a call. Outputs are zr_bytes the
 * library allocates; give each back once with zr_bytes_free. Every function returns one of the codes below and
 * never crashes on bad pointers, lengths or bytes: a failure's reason is in the output (UTF-8). No threads,
 * clock or cache can change a result. zr_ffi's tests check this header against the library.
 */
#ifndef ZR_FFI_H
#define ZR_FFI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZR_ABI_VERSION 2

#define ZR_OK 0
#define ZR_REFUSED 1
#define ZR_ERR_NULL (-1)
#define ZR_ERR_TOO_LARGE (-2)
#define ZR_ERR_DECODE (-3)
#define ZR_ERR_PANIC (-4)
#define ZR_ERR_VM (-5)

#define ZR_MAX_INPUT_LEN 8388608
#define ZR_MAX_STORED_LEN 268435456
#define ZR_MAX_REQUEST_LEN 67108864

/* Bytes the library allocated; empty is {NULL, 0}. */
typedef struct zr_bytes {
    uint8_t *ptr;
    size_t len;
} zr_bytes;

/* ZR_ABI_VERSION, as the library was built. */
uint32_t zr_abi_version(void);

/* The VM version the library judges with, 32 bytes written to out32. */
int32_t zr_vm_version(uint8_t *out32);

/* A claim (canonical Claim) sent by account sender20 (20 bytes), confirmed at momentum `at`, under params
 * (canonical Parameters), the final height being final_height; momentum_known says whether L1 holds the
 * claimed height, whose timestamp is then momentum_timestamp. ZR_OK (empty output) or ZR_REFUSED (reason). */
int32_t zr_check_claim(const uint8_t *params, size_t params_len, const uint8_t *claim, size_t claim_len,
                       const uint8_t *sender20, uint64_t final_height, uint64_t at, uint8_t momentum_known,
                       uint64_t momentum_timestamp, zr_bytes *out);

/* The verdict on dispute (canonical Dispute) against claim_record (canonical ClaimRecord) under params, with
 * the claimed momentum and its blocks in content order (canonical (Momentum, Vec<AccountBlock>)). ZR_OK with:
 * kind (1 byte: 0 executor wrong, 1 proves nothing, 2 cannot judge), has_root (1 byte), correct root (32
 * bytes, zero when none), reason (UTF-8). */
int32_t zr_judge(const uint8_t *params, size_t params_len, const uint8_t *claim_record, size_t claim_record_len,
                 const uint8_t *dispute, size_t dispute_len, const uint8_t *momentum, size_t momentum_len,
                 zr_bytes *out);

/* A withdrawal proof (canonical WithdrawalProof) against final_root32 (32 bytes). ZR_OK with: recipient (20
 * bytes), token standard (10), amount (u128 LE), height (u64 LE); or ZR_REFUSED (reason). */
int32_t zr_verify_withdrawal(const uint8_t *final_root32, const uint8_t *proof, size_t proof_len, zr_bytes *out);

/* What an inbox payload is, as JSON ({"kind": ..., fields}); ZR_ERR_DECODE (reason) when it is none. */
int32_t zr_decode_payload(const uint8_t *data, size_t data_len, zr_bytes *out);

/* The inbox contract (docs/spork.md): the settlement state kept by the caller (empty before the first step), the
 * stored rows asked for, framed (u32 LE key length, key, u32 LE value length, value; at most ZR_MAX_STORED_LEN
 * bytes) and a JSON request (at most ZR_MAX_REQUEST_LEN bytes). ZR_OK with {"need": {"timestamps": [...], "momentums": [...], "rows": [...]}} (call
 * again with them answered; rows the caller holds none at go in "absentRows") or {"done": {"state", "stored",
 * "steppedTo", "payouts"}}. */
int32_t zr_inbox_step(const uint8_t *state, size_t state_len, const uint8_t *stored, size_t stored_len,
                      const uint8_t *request, size_t request_len, zr_bytes *out);

/* Checks the JSON request's send as L1 checks a send to the inbox: ZR_OK, or ZR_REFUSED (what is wrong). */
int32_t zr_inbox_check_send(const uint8_t *request, size_t request_len, zr_bytes *out);

/* Answers an embedded.rollup.* call (the request's method and params): ZR_OK with {"answer": ...} or
 * {"need": {"rows": [...]}} (call again with them), or ZR_REFUSED (what is wrong with the call). */
int32_t zr_inbox_query(const uint8_t *state, size_t state_len, const uint8_t *stored, size_t stored_len,
                       const uint8_t *request, size_t request_len, zr_bytes *out);

/* Gives back bytes the library allocated; {NULL, 0} is ignored. */
void zr_bytes_free(zr_bytes bytes);

#ifdef __cplusplus
}
#endif

#endif /* ZR_FFI_H */
