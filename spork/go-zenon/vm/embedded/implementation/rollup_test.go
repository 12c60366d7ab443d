package implementation

import (
	"math/big"
	"testing"

	"github.com/zenon-network/go-zenon/chain/nom"
	"github.com/zenon-network/go-zenon/common/types"
	"github.com/zenon-network/go-zenon/vm/constants"
)

// On a chain that settles no rollup (no parameters for its chain identifier), every send to the inbox is
// refused before anything is decided.
func TestRollup_aChainWithoutParametersRefusesEverySend(t *testing.T) {
	method := &RollupMethod{MethodName: "Inbox"}
	block := &nom.AccountBlock{ChainIdentifier: 1, ToAddress: types.RollupContract, Data: []byte{4},
		TokenStandard: types.ZnnTokenStandard, Amount: big.NewInt(10e8)}
	if err := method.ValidateSendBlock(block); err == nil {
		t.Fatalf("a send on chain 1 was accepted")
	}
	block.ChainIdentifier = 100
	if err := method.ValidateSendBlock(block); err != nil {
		t.Fatalf("a bond on the mock chain was refused: %v", err)
	}
	block.Amount = big.NewInt(1)
	if err := method.ValidateSendBlock(block); err != constants.ErrRollupSendRefused {
		t.Fatalf("a bond of 1 was not refused by the rules: %v", err)
	}
}

// The inbox holds ZNN and QSR only: a send of another token, of any size (go-zenon allows 2^255), is refused
// before the library reads an amount it could not hold, and a balance of one is never passed to it.
func TestRollup_aSendOfAnotherTokenIsRefused(t *testing.T) {
	method := &RollupMethod{MethodName: "Inbox"}
	huge := new(big.Int).Lsh(big.NewInt(1), 200)
	custom := types.ZenonTokenStandard{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, amount := range []*big.Int{big.NewInt(1), huge} {
		block := &nom.AccountBlock{ChainIdentifier: 100, ToAddress: types.RollupContract, Data: []byte{},
			TokenStandard: custom, Amount: amount}
		if err := method.ValidateSendBlock(block); err != constants.ErrRollupSendRefused {
			t.Fatalf("a send of %v of another token was not refused: %v", amount, err)
		}
	}
}

// A send pays for its data: the base of a receive that may pay out, and 68 per byte.
func TestRollup_plasmaFollowsTheData(t *testing.T) {
	method := &RollupMethod{MethodName: "Inbox"}
	for _, size := range []int{0, 1, constants.MaxDataLength} {
		plasma, err := method.GetPlasmaForData(&constants.AlphanetPlasmaTable, size)
		if err != nil || plasma != constants.AlphanetPlasmaTable.EmbeddedWWithdraw+uint64(size)*constants.ABByteDataPlasma {
			t.Fatalf("%d bytes: plasma %d (%v)", size, plasma, err)
		}
	}
}
