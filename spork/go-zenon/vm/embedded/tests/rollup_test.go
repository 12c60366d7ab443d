package tests

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	g "github.com/zenon-network/go-zenon/chain/genesis/mock"
	"github.com/zenon-network/go-zenon/chain/nom"
	"github.com/zenon-network/go-zenon/common"
	"github.com/zenon-network/go-zenon/common/types"
	"github.com/zenon-network/go-zenon/rpc/api/embedded"
	"github.com/zenon-network/go-zenon/vm/constants"
	"github.com/zenon-network/go-zenon/vm/embedded/definition"
	"github.com/zenon-network/go-zenon/zenon/mock"
)

// The rollup's bond on the mock chain (its parameters' minBond): 10 ZNN.
const rollupBond = 10 * g.Zexp

func activateRollup(z mock.MockZenon) {
	sporkAPI := embedded.NewSporkApi(z)
	z.InsertSendBlock(&nom.AccountBlock{
		Address:   g.Spork.Address,
		ToAddress: types.SporkContract,
		Data: definition.ABISpork.PackMethodPanic(definition.SporkCreateMethodName,
			"spork-rollup",              // name
			"activate spork for rollup", // description
		),
	}, nil, mock.SkipVmChanges)
	z.InsertNewMomentum()

	sporkList, _ := sporkAPI.GetAll(0, 10)
	id := sporkList.List[0].Id

	z.InsertSendBlock(&nom.AccountBlock{
		Address:   g.Spork.Address,
		ToAddress: types.SporkContract,
		Data:      definition.ABISpork.PackMethodPanic(definition.SporkActivateMethodName, id),
	}, nil, mock.SkipVmChanges)
	z.InsertNewMomentum()
	types.RollupSpork.SporkId = id
	types.ImplementedSporksMap[id] = true
	z.InsertMomentumsTo(20)
}

func rollupPayload(t *testing.T, name string) []byte {
	value, ok := rollupFixtures[name]
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	bytes, err := hex.DecodeString(value)
	common.FailIfErr(t, err)
	return bytes
}

// sendToRollup sends data (and amount ZNN) from User1 to the inbox, in the next momentum.
func sendToRollup(t *testing.T, z mock.MockZenon, data []byte, amount int64) {
	z.InsertSendBlock(&nom.AccountBlock{
		Address:       g.User1.Address,
		ToAddress:     types.RollupContract,
		Data:          data,
		TokenStandard: types.ZnnTokenStandard,
		Amount:        big.NewInt(amount),
	}, nil, mock.SkipVmChanges)
	z.InsertNewMomentum()
}

// compacted reads embedded.rollup.* answers as compact JSON, failing t on an error.
func compacted(t *testing.T) func(json.RawMessage, error) string {
	return func(answer json.RawMessage, err error) string {
		return compactAnswer(t, answer, err)
	}
}

func compactAnswer(t *testing.T, answer json.RawMessage, err error) string {
	common.FailIfErr(t, err)
	var value interface{}
	common.FailIfErr(t, json.Unmarshal(answer, &value))
	compact, err := json.Marshal(value)
	common.FailIfErr(t, err)
	return string(compact)
}

// The fixtures' claims are User1's: the Rust side signs them with the mock genesis's User1 key.
func TestRollup_fixturesAreUser1s(t *testing.T) {
	common.Expect(t, rollupFixtures["user1"], g.User1.Address.String())
}

// Before the spork the inbox does not exist: every send to it is refused.
func TestRollup_refusedBeforeSpork(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	z.InsertSendBlock(&nom.AccountBlock{
		Address:       g.User1.Address,
		ToAddress:     types.RollupContract,
		Data:          rollupPayload(t, "bond"),
		TokenStandard: types.ZnnTokenStandard,
		Amount:        big.NewInt(rollupBond),
	}, constants.ErrContractDoesntExist, mock.NoVmChanges)
	z.InsertSendBlock(&nom.AccountBlock{
		Address:   g.User1.Address,
		ToAddress: types.RollupContract,
		Data:      rollupPayload(t, "claim_1"),
	}, constants.ErrContractDoesntExist, mock.NoVmChanges)
}

// A send the rules refuse outright never reaches a momentum: a bond below the least, an unbond carrying funds,
// a payload larger than an account block's data.
func TestRollup_sendsTheRulesRefuse(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	activateRollup(z)
	refused := []*nom.AccountBlock{
		{Data: rollupPayload(t, "bond"), Amount: big.NewInt(rollupBond - 1)},
		{Data: rollupPayload(t, "unbond"), Amount: big.NewInt(1)},
	}
	for _, block := range refused {
		block.Address, block.ToAddress, block.TokenStandard = g.User1.Address, types.RollupContract, types.ZnnTokenStandard
		z.InsertSendBlock(block, constants.ErrRollupSendRefused, mock.NoVmChanges)
	}
	z.InsertSendBlock(&nom.AccountBlock{
		Address:   g.User1.Address,
		ToAddress: types.RollupContract,
		Data:      make([]byte, constants.MaxDataLength+1),
	}, constants.ErrRollupDataTooBig, mock.NoVmChanges)
	z.InsertNewMomentum()
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, 12000*g.Zexp)
}

// A bonded executor's claim of height 1 is final once its window (6 momentums) passed with nothing open: the
// inbox's state and embedded.rollup.* say so, as the devnet's would.
func TestRollup_aClaimBecomesFinal(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	activateRollup(z)
	rollupApi, query := embedded.NewRollupApi(z), compacted(t)

	sendToRollup(t, z, rollupPayload(t, "bond"), rollupBond) // momentum 21
	common.Expect(t, query(rollupApi.GetBond(g.User1.Address)),
		`{"amount":"1000000000","since":21,"unbondingSince":null}`)
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, 12000*g.Zexp-rollupBond)

	sendToRollup(t, z, rollupPayload(t, "claim_1"), 0) // momentum 22
	claims := query(rollupApi.GetClaims(1, 1))
	if !strings.Contains(claims, `"status":{"kind":"pending"}`) || !strings.Contains(claims, `"includedAt":22`) {
		t.Fatalf("the claim is not pending from momentum 22: %s", claims)
	}
	common.Expect(t, query(rollupApi.GetFinal()), `null`)

	// Finality is decided by the step of each momentum, which runs when the inbox next receives a send.
	z.InsertMomentumsTo(30)
	sendToRollup(t, z, nil, 0) // momentum 31: the step of momentum 30 runs first
	common.Expect(t, query(rollupApi.GetFinal()),
		`{"height":1,"root":"0101010101010101010101010101010101010101010101010101010101010101"}`)
	claims = query(rollupApi.GetClaims(1, 1))
	if !strings.Contains(claims, `"kind":"final"`) {
		t.Fatalf("the claim is not final: %s", claims)
	}
}

// One claim per executor and height: a second of the same height is refused, with the reason on record, and
// the first stands.
func TestRollup_aSecondClaimOfAHeightIsRefused(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	activateRollup(z)
	rollupApi, query := embedded.NewRollupApi(z), compacted(t)
	sendToRollup(t, z, rollupPayload(t, "bond"), rollupBond)
	sendToRollup(t, z, rollupPayload(t, "claim_1"), 0)
	sendToRollup(t, z, rollupPayload(t, "claim_2"), 0)
	sendToRollup(t, z, rollupPayload(t, "claim_2_other_root"), 0)
	refused := query(rollupApi.GetRefused())
	if !strings.Contains(refused, "height 2") {
		t.Fatalf("the second claim of height 2 is not refused: %s", refused)
	}
	claims := query(rollupApi.GetClaims(2, 1))
	if !strings.Contains(claims, "0202020202") || strings.Contains(claims, "0303030303") {
		t.Fatalf("height 2 holds another claim than the first: %s", claims)
	}
}

// Without a bond a claim is not recorded: it could never be final and would hold a place for nothing.
func TestRollup_aClaimWithoutABondIsRefused(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	activateRollup(z)
	rollupApi, query := embedded.NewRollupApi(z), compacted(t)
	sendToRollup(t, z, rollupPayload(t, "claim_1"), 0)
	common.Expect(t, query(rollupApi.GetClaims(1, 1)), `[]`)
	refused := query(rollupApi.GetRefused())
	if !strings.Contains(refused, "bond") {
		t.Fatalf("the unbonded claim is not refused for its bond: %s", refused)
	}
}

// An unbonded bond is paid back by a contract send once its delay (12 momentums) passed with nothing open.
func TestRollup_anUnbondedBondIsPaidBack(t *testing.T) {
	z := mock.NewMockZenon(t)
	defer z.StopPanic()
	activateRollup(z)
	rollupApi, query := embedded.NewRollupApi(z), compacted(t)
	sendToRollup(t, z, rollupPayload(t, "bond"), rollupBond) // 21
	sendToRollup(t, z, rollupPayload(t, "unbond"), 0)        // 22
	z.InsertMomentumsTo(40)
	sendToRollup(t, z, nil, 0) // 41: the step of 40 releases the bond and pays it
	z.InsertNewMomentum()      // the receive and its payout
	autoreceive(t, z, g.User1.Address)
	z.InsertNewMomentum()
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, 12000*g.Zexp)
	common.Expect(t, query(rollupApi.GetBond(g.User1.Address)), `null`)
}
