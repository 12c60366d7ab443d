// Package zrffi is the Go side of the zrollup settlement library (zr-ffi, include/zr_ffi.h): what the
// go-zenon spork calls so that it never parses rollup bytes itself. Inputs are passed to the library as they
// are (cgo keeps them in place for the call; they must not change during it); the library's output is copied
// into Go memory and given back. A failure is an *Error with the library's code and reason.
package zrffi

/*
#cgo CFLAGS: -I${SRCDIR}
#cgo LDFLAGS: -lzr_ffi -lpthread -ldl -lm
#include <stdlib.h>
#include "zr_ffi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// AbiVersion is the ABI this package was written for.
const AbiVersion = 2

// ErrRefused wraps the reason a claim or a withdrawal proof is refused by the rules (not a malformed input).
var ErrRefused = errors.New("refused")

// Error is a failure the library reported: its code (include/zr_ffi.h) and reason.
type Error struct {
	Code   int32
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("zr_ffi error %d: %s", e.Code, e.Reason)
}

// IsFault says whether the failure is this node's (a panic, a VM that cannot run here) rather than a decision
// about the input: a fault must never be taken as a verdict, a refusal or a malformed input.
func (e *Error) IsFault() bool {
	return e.Code == C.ZR_ERR_PANIC || e.Code == C.ZR_ERR_VM
}

// Verdict is the pillars' decision on a challenge.
type Verdict struct {
	// Kind is 0 when the executor is wrong, 1 when the challenge proves nothing, 2 when it cannot be judged.
	Kind uint8
	// CorrectRoot is the correct state root, when the verdict found it.
	CorrectRoot *[32]byte
	// Reason says why.
	Reason string
}

// Withdrawal is what a withdrawal proof pays.
type Withdrawal struct {
	Recipient [20]byte
	Token     [10]byte
	// Amount is the u128 amount, little-endian.
	Amount [16]byte
	Height uint64
}

func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// result turns a library call's code and output into Go: the output copied, the library's bytes given back.
func result(code C.int32_t, out C.zr_bytes) ([]byte, error) {
	defer C.zr_bytes_free(out)
	if out.len > C.size_t(C.ZR_MAX_STORED_LEN) {
		return nil, &Error{Code: C.ZR_ERR_TOO_LARGE, Reason: fmt.Sprintf("an output of %d bytes", uint64(out.len))}
	}
	bytes := C.GoBytes(unsafe.Pointer(out.ptr), C.int(out.len))
	switch code {
	case C.ZR_OK:
		return bytes, nil
	case C.ZR_REFUSED:
		return nil, fmt.Errorf("%w: %s", ErrRefused, bytes)
	default:
		return nil, &Error{Code: int32(code), Reason: string(bytes)}
	}
}

// LibraryAbiVersion is the ABI version of the linked library; it must be AbiVersion.
func LibraryAbiVersion() uint32 {
	return uint32(C.zr_abi_version())
}

// VmVersion is the VM version the library judges with.
func VmVersion() ([32]byte, error) {
	var version [32]byte
	if code := C.zr_vm_version((*C.uint8_t)(unsafe.Pointer(&version[0]))); code != C.ZR_OK {
		return version, fmt.Errorf("zr_vm_version: error %d", int32(code))
	}
	return version, nil
}

// CheckClaim checks a claim (its canonical bytes, the payload after tag 2) sent by sender and confirmed at
// momentum at, under the settlement parameters, the final height being finalHeight; momentumTimestamp is L1's
// timestamp of the claimed height, nil when L1 has no such momentum. A refusal wraps ErrRefused.
func CheckClaim(params, claim []byte, sender [20]byte, finalHeight, at uint64, momentumTimestamp *uint64) error {
	var known C.uint8_t
	var timestamp C.uint64_t
	if momentumTimestamp != nil {
		known, timestamp = 1, C.uint64_t(*momentumTimestamp)
	}
	var out C.zr_bytes
	code := C.zr_check_claim(bytesPtr(params), C.size_t(len(params)), bytesPtr(claim), C.size_t(len(claim)),
		(*C.uint8_t)(unsafe.Pointer(&sender[0])), C.uint64_t(finalHeight), C.uint64_t(at), known, timestamp, &out)
	_, err := result(code, out)
	return err
}

// Judge judges a dispute against the claim record L1 holds, under the parameters, with the claimed momentum
// and its blocks in content order (their canonical encoding).
func Judge(params, claimRecord, dispute, momentum []byte) (Verdict, error) {
	var out C.zr_bytes
	code := C.zr_judge(bytesPtr(params), C.size_t(len(params)), bytesPtr(claimRecord), C.size_t(len(claimRecord)),
		bytesPtr(dispute), C.size_t(len(dispute)), bytesPtr(momentum), C.size_t(len(momentum)), &out)
	bytes, err := result(code, out)
	if err != nil {
		return Verdict{}, err
	}
	if len(bytes) < 34 {
		return Verdict{}, fmt.Errorf("zr_judge: a verdict of %d bytes", len(bytes))
	}
	verdict := Verdict{Kind: bytes[0], Reason: string(bytes[34:])}
	if bytes[1] != 0 {
		var root [32]byte
		copy(root[:], bytes[2:34])
		verdict.CorrectRoot = &root
	}
	return verdict, nil
}

// VerifyWithdrawal verifies a withdrawal proof (canonical bytes, the payload after tag 6) against the final
// root at its height. A proof that proves nothing wraps ErrRefused.
func VerifyWithdrawal(finalRoot [32]byte, proof []byte) (Withdrawal, error) {
	var out C.zr_bytes
	code := C.zr_verify_withdrawal((*C.uint8_t)(unsafe.Pointer(&finalRoot[0])), bytesPtr(proof), C.size_t(len(proof)), &out)
	bytes, err := result(code, out)
	if err != nil {
		return Withdrawal{}, err
	}
	if len(bytes) != 54 {
		return Withdrawal{}, fmt.Errorf("zr_verify_withdrawal: %d bytes", len(bytes))
	}
	var w Withdrawal
	copy(w.Recipient[:], bytes[0:20])
	copy(w.Token[:], bytes[20:30])
	copy(w.Amount[:], bytes[30:46])
	for i := 7; i >= 0; i-- {
		w.Height = w.Height<<8 | uint64(bytes[46+i])
	}
	return w, nil
}

// DecodePayload says what an inbox payload is, as the library's JSON.
func DecodePayload(data []byte) (string, error) {
	var out C.zr_bytes
	code := C.zr_decode_payload(bytesPtr(data), C.size_t(len(data)), &out)
	bytes, err := result(code, out)
	return string(bytes), err
}

// InboxStep runs the inbox contract on a send it receives (docs/spork.md): the settlement state, its stored
// rows framed (FrameRows) and the JSON request. The answer is the library's JSON: {"need": ...} or {"done": ...}.
func InboxStep(state, stored, request []byte) ([]byte, error) {
	var out C.zr_bytes
	code := C.zr_inbox_step(bytesPtr(state), C.size_t(len(state)), bytesPtr(stored), C.size_t(len(stored)),
		bytesPtr(request), C.size_t(len(request)), &out)
	return result(code, out)
}

// InboxCheckSend checks the JSON request's send as L1 checks a send to the inbox; a refusal wraps ErrRefused.
func InboxCheckSend(request []byte) error {
	var out C.zr_bytes
	code := C.zr_inbox_check_send(bytesPtr(request), C.size_t(len(request)), &out)
	_, err := result(code, out)
	return err
}

// InboxQuery answers an embedded.rollup.* call (the JSON request's method and params) from the settlement state
// and its stored rows; a call the library refuses wraps ErrRefused.
func InboxQuery(state, stored, request []byte) ([]byte, error) {
	var out C.zr_bytes
	code := C.zr_inbox_query(bytesPtr(state), C.size_t(len(state)), bytesPtr(stored), C.size_t(len(stored)),
		bytesPtr(request), C.size_t(len(request)), &out)
	return result(code, out)
}

// FrameRows lays stored rows out as the library reads them: u32 LE key length, key, u32 LE value length, value.
func FrameRows(keys, values [][]byte) []byte {
	var framed []byte
	for i := range keys {
		framed = appendFramed(framed, keys[i])
		framed = appendFramed(framed, values[i])
	}
	return framed
}

func appendFramed(framed, item []byte) []byte {
	n := uint32(len(item))
	framed = append(framed, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(framed, item...)
}
