package definition

import (
	"encoding/binary"
	"fmt"

	"github.com/zenon-network/go-zenon/common/db"
)

// The rollup inbox keeps the zrollup settlement (zr-ffi decides everything; see docs/spork.md in zrollup):
// the settlement state under one key, the momentum whose step ran last under another, and the rows of the
// settlement's large maps (withdrawals paid, challenge and leaves parts) under keys of their own.
const (
	// RollupMethodName names the inbox's one method: every send is a payload the settlement decodes itself.
	RollupMethodName = "Inbox"
)

var (
	rollupStateKey     = []byte{1}
	rollupSteppedToKey = []byte{2}
	rollupRowPrefix    = []byte{3}
)

// RollupParameters is the settlement parameters (JSON, as zr-ffi reads them) of the rollup the L1 chain
// chainIdentifier settles, or an error when it settles none.
func RollupParameters(chainIdentifier uint64) ([]byte, error) {
	parameters, ok := rollupParametersByChain[chainIdentifier]
	if !ok {
		return nil, fmt.Errorf("no rollup is settled on chain %d", chainIdentifier)
	}
	return []byte(parameters), nil
}

// RollupStore is the inbox's state as the settlement library reads it; the stored rows are read one by one, as
// the library asks for them (GetRollupRow).
type RollupStore struct {
	// State is the settlement state (empty before the first step).
	State []byte
	// SteppedTo is the last momentum whose step ran.
	SteppedTo uint64
}

// GetRollupStore reads the inbox's state.
func GetRollupStore(context db.DB) (*RollupStore, error) {
	state, err := context.Get(rollupStateKey)
	if err != nil {
		return nil, err
	}
	store := &RollupStore{State: state}
	stepped, err := context.Get(rollupSteppedToKey)
	if err != nil {
		return nil, err
	}
	if len(stepped) == 8 {
		store.SteppedTo = binary.BigEndian.Uint64(stepped)
	}
	return store, nil
}

// GetRollupRow reads the stored row at key: its value, or nil when there is none.
func GetRollupRow(context db.DB, key []byte) ([]byte, error) {
	value, err := context.Get(append(append([]byte{}, rollupRowPrefix...), key...))
	if err != nil || len(value) == 0 {
		return nil, err
	}
	return value, nil
}

// SaveRollupState writes the settlement state and the momentum whose step ran last.
func SaveRollupState(context db.DB, state []byte, steppedTo uint64) error {
	if err := context.Put(rollupStateKey, state); err != nil {
		return err
	}
	var stepped [8]byte
	binary.BigEndian.PutUint64(stepped[:], steppedTo)
	return context.Put(rollupSteppedToKey, stepped[:])
}

// SaveRollupRow writes a stored row, or deletes it when value is nil.
func SaveRollupRow(context db.DB, key, value []byte) error {
	full := append(append([]byte{}, rollupRowPrefix...), key...)
	if value == nil {
		return context.Delete(full)
	}
	return context.Put(full, value)
}
