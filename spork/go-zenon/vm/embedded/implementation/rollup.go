package implementation

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/zenon-network/go-zenon/chain/nom"
	"github.com/zenon-network/go-zenon/common"
	"github.com/zenon-network/go-zenon/common/db"
	"github.com/zenon-network/go-zenon/common/types"
	"github.com/zenon-network/go-zenon/vm/constants"
	"github.com/zenon-network/go-zenon/vm/embedded/definition"
	"github.com/zenon-network/go-zenon/vm/embedded/zrffi"
	"github.com/zenon-network/go-zenon/vm/vm_context"
)

var (
	rollupLog = common.EmbeddedLogger.New("contract", "rollup")
)

// rollupMaxAnswerRounds bounds how often one receive answers the settlement's questions about L1 (momentum
// timestamps for claims, claimed momentums for verdicts). A round answers every question asked so far, and the
// library asks for all it can see at once, so a step needs one round or two; a round that asks nothing new is
// an error at once.
const rollupMaxAnswerRounds = 64

// RollupMethod is the rollup inbox's one method: a send's data is a rollup payload (a bundle, a deposit, a
// bond, a claim, a challenge part, a withdrawal proof ...), which the settlement library decodes and applies.
type RollupMethod struct {
	MethodName string
}

// GetPlasma is the least a send to the inbox pays: a receive that may pay out. RollupDataPlasma adds its data.
func (p *RollupMethod) GetPlasma(plasmaTable *constants.PlasmaTable) (uint64, error) {
	return plasmaTable.EmbeddedWWithdraw, nil
}

// GetPlasmaForData is what a send with data of dataLen bytes pays: the base of GetPlasma plus what any send
// pays per byte, so a 16 KiB bundle costs what it weighs.
func (p *RollupMethod) GetPlasmaForData(plasmaTable *constants.PlasmaTable, dataLen int) (uint64, error) {
	base, err := p.GetPlasma(plasmaTable)
	return base + uint64(dataLen)*constants.ABByteDataPlasma, err
}

// ValidateSendBlock bounds the data as any account block's and checks the send as the rollup's rules check it
// before a send is accepted (bond and deposit amounts, bundle signatures).
func (p *RollupMethod) ValidateSendBlock(block *nom.AccountBlock) error {
	if len(block.Data) > constants.MaxDataLength {
		return constants.ErrRollupDataTooBig
	}
	// The inbox holds ZNN and QSR only (the library reads amounts as 128-bit; other tokens' may be larger).
	if block.Amount != nil && block.Amount.Sign() != 0 &&
		block.TokenStandard != types.ZnnTokenStandard && block.TokenStandard != types.QsrTokenStandard {
		return constants.ErrRollupSendRefused
	}
	parameters, err := definition.RollupParameters(block.ChainIdentifier)
	if err != nil {
		return err
	}
	request, err := json.Marshal(map[string]interface{}{"parameters": json.RawMessage(parameters), "send": block})
	if err != nil {
		return err
	}
	if err := zrffi.InboxCheckSend(request); err != nil {
		// go-zenon's errors are values callers compare; the rules' reason goes to the log.
		rollupLog.Debug("send refused", "address", block.Address, "reason", err)
		return constants.ErrRollupSendRefused
	}
	return nil
}

type rollupNeed struct {
	Timestamps []uint64 `json:"timestamps"`
	Momentums  []uint64 `json:"momentums"`
	Rows       [][]byte `json:"rows"`
}

type rollupPayout struct {
	Recipient  types.Address            `json:"recipient"`
	Token      types.ZenonTokenStandard `json:"token"`
	Amount     string                   `json:"amount"`
	Withdrawal *types.Hash              `json:"withdrawal"`
}

type rollupRow struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

type rollupDone struct {
	State     []byte         `json:"state"`
	Stored    []rollupRow    `json:"stored"`
	SteppedTo uint64         `json:"steppedTo"`
	Payouts   []rollupPayout `json:"payouts"`
}

type rollupAnswer struct {
	Need *rollupNeed `json:"need"`
	Done *rollupDone `json:"done"`
}

type rollupTimestamp struct {
	Height    uint64  `json:"height"`
	Timestamp *uint64 `json:"timestamp"`
}

type rollupMomentum struct {
	Height   uint64              `json:"height"`
	Momentum *nom.Momentum       `json:"momentum"`
	Blocks   []*nom.AccountBlock `json:"blocks"`
}

type rollupBalance struct {
	Token  types.ZenonTokenStandard `json:"token"`
	Amount string                   `json:"amount"`
}

type rollupRequest struct {
	Parameters json.RawMessage   `json:"parameters"`
	At         uint64            `json:"at"`
	SteppedTo  uint64            `json:"steppedTo"`
	Send       *nom.AccountBlock `json:"send"`
	Balances   []rollupBalance   `json:"balances"`
	Timestamps []rollupTimestamp `json:"timestamps"`
	Momentums  []rollupMomentum  `json:"momentums"`
	AbsentRows [][]byte          `json:"absentRows"`
}

// ReceiveBlock hands the send to the settlement library with the inbox's state, at the momentum that confirmed
// it, answers what it asks about L1 from this context's momentum store, stores what it decided and pays what it
// owes as contract sends.
func (p *RollupMethod) ReceiveBlock(context vm_context.AccountVmContext, sendBlock *nom.AccountBlock) ([]*nom.AccountBlock, error) {
	if err := p.ValidateSendBlock(sendBlock); err != nil {
		return nil, err
	}
	momentum, err := context.GetFrontierMomentum()
	common.DealWithErr(err)
	parameters, err := definition.RollupParameters(context.MomentumStore().ChainIdentifier())
	if err != nil {
		return nil, err
	}
	store, err := definition.GetRollupStore(context.Storage())
	common.DealWithErr(err)
	balances, err := context.GetBalanceMap()
	common.DealWithErr(err)
	request := rollupRequest{Parameters: parameters, At: momentum.Height, SteppedTo: store.SteppedTo, Send: sendBlock,
		Balances: []rollupBalance{}, Timestamps: []rollupTimestamp{}, Momentums: []rollupMomentum{}, AbsentRows: [][]byte{}}
	for _, token := range []types.ZenonTokenStandard{types.ZnnTokenStandard, types.QsrTokenStandard} {
		// Only ZNN and QSR are the inbox's: sends of other tokens are refused, and a balance of one (sent by a
		// contract's payout, say) is none of the settlement's business.
		held, ok := balances[token]
		if !ok {
			continue
		}
		amount := new(big.Int).Set(held)
		// The library adds the send's amount to the inbox's funds itself.
		if token == sendBlock.TokenStandard && sendBlock.Amount != nil {
			amount.Sub(amount, sendBlock.Amount)
		}
		request.Balances = append(request.Balances, rollupBalance{Token: token, Amount: amount.String()})
	}
	rows := &RollupRows{}

	var done *rollupDone
	for round := 0; done == nil; round++ {
		if round == rollupMaxAnswerRounds {
			return nil, constants.ErrRollupUnanswered
		}
		encoded, err := json.Marshal(request)
		common.DealWithErr(err)
		output, err := zrffi.InboxStep(store.State, rows.Framed(), encoded)
		if err != nil {
			rollupLog.Error("the settlement library failed", "send", sendBlock.Hash, "reason", err)
			return nil, err
		}
		var answer rollupAnswer
		if err := json.Unmarshal(output, &answer); err != nil {
			return nil, fmt.Errorf("the settlement library answered %q: %w", output, err)
		}
		if answer.Need != nil {
			asked := len(request.Timestamps) + len(request.Momentums) + rows.Answered()
			if err := answerRollup(context, &request, answer.Need); err != nil {
				return nil, err
			}
			if err := rows.Read(context.Storage(), answer.Need.Rows); err != nil {
				return nil, err
			}
			request.AbsentRows = append([][]byte{}, rows.Absent...)
			if len(request.Timestamps)+len(request.Momentums)+rows.Answered() == asked {
				return nil, constants.ErrRollupUnanswered
			}
			continue
		}
		done = answer.Done
	}
	if done == nil {
		return nil, constants.ErrRollupUnanswered
	}

	common.DealWithErr(definition.SaveRollupState(context.Storage(), done.State, done.SteppedTo))
	for _, row := range done.Stored {
		common.DealWithErr(definition.SaveRollupRow(context.Storage(), row.Key, row.Value))
	}
	payouts := make([]*nom.AccountBlock, 0, len(done.Payouts))
	for _, payout := range done.Payouts {
		amount, ok := new(big.Int).SetString(payout.Amount, 10)
		if !ok {
			return nil, fmt.Errorf("the settlement library paid %q", payout.Amount)
		}
		data := []byte("bond")
		if payout.Withdrawal != nil {
			data = payout.Withdrawal.Bytes()
		}
		payouts = append(payouts, &nom.AccountBlock{
			Address:       types.RollupContract,
			ToAddress:     payout.Recipient,
			BlockType:     nom.BlockTypeContractSend,
			Amount:        amount,
			TokenStandard: payout.Token,
			Data:          data,
		})
	}
	rollupLog.Debug("received", "send", sendBlock.Hash, "at", momentum.Height, "stepped-to", done.SteppedTo,
		"payouts", len(payouts), "data", hex.EncodeToString(firstBytes(sendBlock.Data, 1)))
	return payouts, nil
}

// answerRollup adds to the request what the settlement asked about L1, read from this receive's momentum
// store (the momentum that confirmed the send and those before it), so every node reads the same.
func answerRollup(context vm_context.AccountVmContext, request *rollupRequest, need *rollupNeed) error {
	store := context.MomentumStore()
	answered := func(height uint64, momentums bool) bool {
		if momentums {
			for _, known := range request.Momentums {
				if known.Height == height {
					return true
				}
			}
			return false
		}
		for _, known := range request.Timestamps {
			if known.Height == height {
				return true
			}
		}
		return false
	}
	for _, height := range need.Timestamps {
		if answered(height, false) {
			continue
		}
		answer := rollupTimestamp{Height: height}
		momentum, err := store.GetMomentumByHeight(height)
		if err != nil {
			return err
		}
		if momentum != nil {
			timestamp := momentum.TimestampUnix
			answer.Timestamp = &timestamp
		}
		request.Timestamps = append(request.Timestamps, answer)
	}
	for _, height := range need.Momentums {
		if answered(height, true) {
			continue
		}
		answer := rollupMomentum{Height: height, Blocks: []*nom.AccountBlock{}}
		momentum, err := store.GetMomentumByHeight(height)
		if err != nil {
			return err
		}
		if momentum != nil {
			detailed, err := store.PrefetchMomentum(momentum)
			if err != nil {
				return err
			}
			answer.Momentum = momentum
			// A verdict orders the inbox's sends alone: other blocks (any size, any token) stay out.
			for _, block := range detailed.AccountBlocks {
				if block.BlockType == nom.BlockTypeUserSend && block.ToAddress == types.RollupContract {
					answer.Blocks = append(answer.Blocks, block)
				}
			}
		}
		request.Momentums = append(request.Momentums, answer)
	}
	return nil
}

// RollupRows are the inbox's stored rows the settlement library asked for: those held, and the keys of those
// that are not.
type RollupRows struct {
	Keys, Values [][]byte
	Absent       [][]byte
	read         map[string]bool
}

// Read reads the rows at keys not read yet.
func (r *RollupRows) Read(storage db.DB, keys [][]byte) error {
	if r.read == nil {
		r.read = map[string]bool{}
	}
	for _, key := range keys {
		if r.read[string(key)] {
			continue
		}
		r.read[string(key)] = true
		value, err := definition.GetRollupRow(storage, key)
		if err != nil {
			return err
		}
		if value == nil {
			r.Absent = append(r.Absent, key)
			continue
		}
		r.Keys = append(r.Keys, key)
		r.Values = append(r.Values, value)
	}
	return nil
}

// Answered is how many rows were read, held or not.
func (r *RollupRows) Answered() int {
	return len(r.read)
}

// Framed lays the rows held out for the library.
func (r *RollupRows) Framed() []byte {
	return zrffi.FrameRows(r.Keys, r.Values)
}

func firstBytes(data []byte, n int) []byte {
	if len(data) < n {
		return data
	}
	return data[:n]
}
