package zrffi

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestTheLinkedLibraryIsThisAbi(t *testing.T) {
	if got := LibraryAbiVersion(); got != AbiVersion {
		t.Fatalf("library ABI %d, package ABI %d", got, AbiVersion)
	}
	version, err := VmVersion()
	if err != nil || version == [32]byte{} {
		t.Fatalf("vm version %x, %v", version, err)
	}
}

func TestPayloadsAreDecodedByTheLibrary(t *testing.T) {
	json, err := DecodePayload([]byte{4})
	if err != nil || json != `{"kind":"bond"}` {
		t.Fatalf("bond: %q, %v", json, err)
	}
	if _, err := DecodePayload([]byte{200, 1}); err == nil || !strings.Contains(err.Error(), "unknown payload tag 200") {
		t.Fatalf("an unknown tag: %v", err)
	}
	if _, err := DecodePayload(nil); err == nil {
		t.Fatal("empty data decoded")
	}
}

func TestBadInputsAreErrorsNotCrashes(t *testing.T) {
	err := CheckClaim([]byte{0xff, 0xff}, []byte{1, 2, 3}, [20]byte{}, 0, 10, nil)
	var failure *Error
	if !errors.As(err, &failure) || failure.Code != -3 || failure.IsFault() || !strings.Contains(failure.Reason, "parameters") {
		t.Fatalf("garbage parameters: %v", err)
	}
	if _, err := Judge(nil, nil, nil, nil); err == nil {
		t.Fatal("an empty judgement")
	}
	if _, err := VerifyWithdrawal([32]byte{}, []byte{9, 9}); err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("garbage proof: %v", err)
	}
}

func TestAClaimOfAnotherChainIsRefused(t *testing.T) {
	// Parameters for chain 7 and a claim for chain 8, both from the Rust side's canonical encodings
	// (zr-ffi's abi tests build the same).
	params, claim := fixture(t, "params_chain7"), fixture(t, "claim_chain8")
	var sender [20]byte
	copy(sender[:], fixture(t, "sender"))
	timestamp := uint64(1000)
	err := CheckClaim(params, claim, sender, 0, 10, &timestamp)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "chain") {
		t.Fatalf("a claim of another chain: %v", err)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	value, ok := fixtures[name]
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	bytes, err := hex.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	return bytes
}
