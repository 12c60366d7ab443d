package tests

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
	return fixtureBytes(t, rollupFixtures, name)
}

// fixtureBytes decodes the hex of fixture name, failing t when there is none.
func fixtureBytes(t *testing.T, fixtures map[string]string, name string) []byte {
	value, ok := fixtures[name]
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

// rollupChain starts a mock chain with the rollup's spork active. It returns the chain (the caller defers its
// StopPanic; a failed activation fails the test first), its embedded.rollup API and a reader of that API's
// answers as compact JSON.
func rollupChain(t *testing.T) (mock.MockZenon, *embedded.RollupApi, func(json.RawMessage, error) string) {
	z := mock.NewMockZenon(t)
	activateRollup(z)
	return z, embedded.NewRollupApi(z), compacted(t)
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
	z, _, _ := rollupChain(t)
	defer z.StopPanic()
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
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()

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
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()
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
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()
	sendToRollup(t, z, rollupPayload(t, "claim_1"), 0)
	common.Expect(t, query(rollupApi.GetClaims(1, 1)), `[]`)
	refused := query(rollupApi.GetRefused())
	if !strings.Contains(refused, "bond") {
		t.Fatalf("the unbonded claim is not refused for its bond: %s", refused)
	}
}

// An unbonded bond is paid back by a contract send once its delay (12 momentums) passed with nothing open.
func TestRollup_anUnbondedBondIsPaidBack(t *testing.T) {
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()
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

// withoutL1Blocks is an answer's JSON without its L1 block hashes (the vector's blocks are not the mock chain's).
func withoutL1Blocks(t *testing.T, answer json.RawMessage) string {
	var value interface{}
	common.FailIfErr(t, json.Unmarshal(answer, &value))
	var strip func(v interface{})
	strip = func(v interface{}) {
		switch v := v.(type) {
		case map[string]interface{}:
			delete(v, "l1Block")
			for _, child := range v {
				strip(child)
			}
		case []interface{}:
			for _, child := range v {
				strip(child)
			}
		}
	}
	strip(value)
	compact, err := json.Marshal(value)
	common.FailIfErr(t, err)
	return string(compact)
}

type rollupScenario struct {
	Name       string `json:"name"`
	Withdrawal string `json:"withdrawal"`
	Sends      []struct {
		At     uint64 `json:"at"`
		Sender string `json:"sender"`
		Data   string `json:"data"`
		Amount string `json:"amount"`
	} `json:"sends"`
	PokeAt uint64 `json:"pokeAt"`
	Steps  []struct {
		At     uint64                     `json:"at"`
		Expect map[string]json.RawMessage `json:"expect"`
	} `json:"steps"`
	Payouts []struct {
		Recipient string `json:"recipient"`
		Amount    string `json:"amount"`
	} `json:"payouts"`
}

// One rulebook, two implementations that agree: scenarios the devnet's settlement ran
// (testdata/rollup_agreement_vectors.json, written by zr-tests' spork_vectors) replayed through the spork in the mock chain leave the same claims,
// challenges and their verdicts, data-availability challenges, refusals and bonds after every momentum of
// them, and pay the same.
func TestRollup_agreesWithTheDevnetsSettlement(t *testing.T) {
	var scenarios []rollupScenario
	vectors, err := os.ReadFile("testdata/rollup_agreement_vectors.json")
	common.FailIfErr(t, err)
	common.FailIfErr(t, json.Unmarshal(vectors, &scenarios))
	common.ExpectTrue(t, len(scenarios) >= 6)
	for _, scenario := range scenarios {
		scenario := scenario
		t.Run(scenario.Name, func(t *testing.T) { replayRollupScenario(t, &scenario) })
	}
}

func replayRollupScenario(t *testing.T, scenario *rollupScenario) {
	z, rollupApi, _ := rollupChain(t)
	defer z.StopPanic()
	users := map[string]types.Address{"user1": g.User1.Address, "user2": g.User2.Address}
	balances := map[string]*big.Int{"user1": big.NewInt(12000 * g.Zexp), "user2": big.NewInt(8000 * g.Zexp)}
	answers := map[string]func() (json.RawMessage, error){
		"getBond/user1":   func() (json.RawMessage, error) { return rollupApi.GetBond(g.User1.Address) },
		"getBond/user2":   func() (json.RawMessage, error) { return rollupApi.GetBond(g.User2.Address) },
		"getClaims":       func() (json.RawMessage, error) { return rollupApi.GetClaims(1, 31) },
		"getChallenges":   func() (json.RawMessage, error) { return rollupApi.GetChallenges(1, 31) },
		"getDaChallenges": func() (json.RawMessage, error) { return rollupApi.GetDaChallenges(1, 31) },
		"getFinal":        rollupApi.GetFinal,
		"getRefused":      rollupApi.GetRefused,
		"getOwed":         rollupApi.GetOwed,
		"getWithdrawal": func() (json.RawMessage, error) {
			return rollupApi.GetWithdrawal(types.HexToHashPanic(scenario.Withdrawal))
		},
	}
	// Each step lists the answers that changed since the step before; every answer is compared, each against the
	// last one listed.
	expected := map[string]json.RawMessage{}
	for _, step := range scenario.Steps {
		for method, answer := range step.Expect {
			expected[method] = answer
		}
		z.InsertMomentumsTo(step.At - 1)
		sent := false
		for _, send := range scenario.Sends {
			if send.At != step.At {
				continue
			}
			amount, ok := new(big.Int).SetString(send.Amount, 10)
			common.ExpectTrue(t, ok)
			data, err := hex.DecodeString(send.Data)
			common.FailIfErr(t, err)
			z.InsertSendBlock(&nom.AccountBlock{
				Address:       users[send.Sender],
				ToAddress:     types.RollupContract,
				Data:          data,
				TokenStandard: types.ZnnTokenStandard,
				Amount:        amount,
			}, nil, mock.SkipVmChanges)
			balances[send.Sender].Sub(balances[send.Sender], amount)
			sent = true
		}
		if !sent {
			// The closing empty send, so the steps of the momentums before it run.
			z.InsertSendBlock(&nom.AccountBlock{Address: g.User1.Address, ToAddress: types.RollupContract,
				TokenStandard: types.ZnnTokenStandard, Amount: big.NewInt(0)}, nil, mock.SkipVmChanges)
		}
		z.InsertNewMomentum() // step.At: its sends received
		for method, answer := range answers {
			got, err := answer()
			common.FailIfErr(t, err)
			want, ok := expected[method]
			if !ok {
				t.Fatalf("the vector has no %s answer", method)
			}
			if withoutL1Blocks(t, got) != withoutL1Blocks(t, want) {
				t.Errorf("momentum %d, %s: the spork has\n%s\nthe devnet's settlement\n%s", step.At, method, got, want)
			}
		}
	}
	z.InsertNewMomentum()
	autoreceive(t, z, g.User1.Address)
	autoreceive(t, z, g.User2.Address)
	z.InsertNewMomentum()
	for _, payout := range scenario.Payouts {
		amount, _ := new(big.Int).SetString(payout.Amount, 10)
		for name, address := range users {
			if address.String() == payout.Recipient {
				balances[name].Add(balances[name], amount)
			}
		}
	}
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, balances["user1"].Int64())
	z.ExpectBalance(g.User2.Address, types.ZnnTokenStandard, balances["user2"].Int64())
}

func verdictPayload(t *testing.T, name string) []byte {
	return fixtureBytes(t, rollupVerdictFixtures, name)
}

// A wrong claim is proven and judged by the pillars, in go-zenon: User1 posts a bundle with one token transfer
// in momentum 30 and claims a wrong root for it; User2 challenges that leaf with a witness, in parts. The
// momentum after, the pillars judge it through cgo, reading momentum 30 as they hold it: the executor is wrong,
// the correct root is the one the Rust side computed, and the claim can never be final.
func TestRollup_aWrongClaimIsJudgedByThePillars(t *testing.T) {
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()
	common.Expect(t, rollupVerdictFixtures["user2"], g.User2.Address.String())
	send := func(from types.Address, data []byte, amount int64) {
		z.InsertSendBlock(&nom.AccountBlock{
			Address:       from,
			ToAddress:     types.RollupContract,
			Data:          data,
			TokenStandard: types.ZnnTokenStandard,
			Amount:        big.NewInt(amount),
		}, nil, mock.SkipVmChanges)
	}
	send(g.User1.Address, rollupPayload(t, "bond"), rollupBond)
	send(g.User2.Address, rollupPayload(t, "bond"), rollupBond)
	z.InsertMomentumsTo(29)
	send(g.User1.Address, verdictPayload(t, "bundle"), 0)
	z.InsertNewMomentum() // 30
	send(g.User1.Address, verdictPayload(t, "claim"), 0)
	z.InsertNewMomentum() // 31
	parts, err := strconv.Atoi(rollupVerdictFixtures["parts"])
	common.FailIfErr(t, err)
	for i := 0; i < parts; i++ {
		deposit := int64(0)
		if i == 0 {
			deposit = int64(parts) * g.Zexp / 10
		}
		send(g.User2.Address, verdictPayload(t, fmt.Sprintf("part%d", i)), deposit)
	}
	z.InsertNewMomentum() // 32: the challenge is whole
	id := rollupVerdictFixtures["challengeId"]
	waiting := query(rollupApi.GetChallenge(types.HexToHashPanic(id)))
	if !strings.Contains(waiting, `"waiting"`) {
		t.Fatalf("the challenge does not wait for its verdict: %s", waiting)
	}

	send(g.User2.Address, nil, 0)
	started := time.Now()
	z.InsertNewMomentum() // 33: its receive runs the step of 32, which judges the challenge
	judging := time.Since(started)
	send(g.User2.Address, nil, 0)
	started = time.Now()
	z.InsertNewMomentum() // 34: a receive with nothing to judge, for comparison
	t.Logf("a momentum whose inbox receive judged the token-transfer challenge took %v; one with nothing to judge %v",
		judging, time.Since(started))
	judged := query(rollupApi.GetChallenge(types.HexToHashPanic(id)))
	if !strings.Contains(judged, "executorWrong") || !strings.Contains(judged, rollupVerdictFixtures["correctRoot"]) {
		t.Fatalf("the pillars did not find the executor wrong with the correct root: %s", judged)
	}
	claims := query(rollupApi.GetClaims(30, 1))
	if strings.Contains(claims, `"pending"`) || strings.Contains(claims, `"final"`) {
		t.Fatalf("the wrong claim still stands: %s", claims)
	}
}

// Bytes that do not decode change nothing but the record of their refusal: a data-availability challenge that is
// no challenge is accepted with its deposit (its tag and amount are what a send is checked for), refused by the
// settlement with the reason, and its deposit paid back.
func TestRollup_anUndecodablePayloadIsRefusedAndPaidBack(t *testing.T) {
	z, rollupApi, query := rollupChain(t)
	defer z.StopPanic()
	sendToRollup(t, z, []byte{8, 0xff, 0xff}, g.Zexp) // 21: tag 8, a data-availability challenge, 1 ZNN
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, 11999*g.Zexp)
	sendToRollup(t, z, nil, 0) // 22: the step of 21 pays the deposit back
	z.InsertNewMomentum()
	autoreceive(t, z, g.User1.Address)
	z.InsertNewMomentum()
	z.ExpectBalance(g.User1.Address, types.ZnnTokenStandard, 12000*g.Zexp)
	refused := query(rollupApi.GetRefused())
	if !strings.Contains(refused, `"at":21`) || !strings.Contains(refused, "malformed") {
		t.Fatalf("the undecodable payload's refusal is not on record: %s", refused)
	}
}
