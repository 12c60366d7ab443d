package embedded

import (
	"encoding/json"

	"github.com/zenon-network/go-zenon/chain"
	"github.com/zenon-network/go-zenon/common/types"
	"github.com/zenon-network/go-zenon/rpc/api"
	"github.com/zenon-network/go-zenon/vm/constants"
	"github.com/zenon-network/go-zenon/vm/embedded/definition"
	"github.com/zenon-network/go-zenon/vm/embedded/implementation"
	"github.com/zenon-network/go-zenon/vm/embedded/zrffi"
	"github.com/zenon-network/go-zenon/zenon"
)

// RollupApi is embedded.rollup.*: the zrollup settlement as the inbox holds it, with the names and answers
// the zrollup devnet serves (zr-settlement's query module answers both).
type RollupApi struct {
	chain chain.Chain
}

func NewRollupApi(z zenon.Zenon) *RollupApi {
	return &RollupApi{chain: z.Chain()}
}

func (a *RollupApi) query(method string, params ...interface{}) (json.RawMessage, error) {
	_, context, err := api.GetFrontierContext(a.chain, types.RollupContract)
	if err != nil {
		return nil, err
	}
	parameters, err := definition.RollupParameters(context.MomentumStore().ChainIdentifier())
	if err != nil {
		return nil, err
	}
	store, err := definition.GetRollupStore(context.Storage())
	if err != nil {
		return nil, err
	}
	if params == nil {
		params = []interface{}{}
	}
	rows := &implementation.RollupRows{}
	for round := 0; round < 8; round++ {
		request, err := json.Marshal(map[string]interface{}{
			"parameters": json.RawMessage(parameters),
			"method":     "embedded.rollup." + method,
			"params":     params,
			"absentRows": append([][]byte{}, rows.Absent...),
		})
		if err != nil {
			return nil, err
		}
		output, err := zrffi.InboxQuery(store.State, rows.Framed(), request)
		if err != nil {
			return nil, err
		}
		var answer struct {
			Answer json.RawMessage `json:"answer"`
			Need   *struct {
				Rows [][]byte `json:"rows"`
			} `json:"need"`
		}
		if err := json.Unmarshal(output, &answer); err != nil {
			return nil, err
		}
		if answer.Need == nil {
			return answer.Answer, nil
		}
		if err := rows.Read(context.Storage(), answer.Need.Rows); err != nil {
			return nil, err
		}
	}
	return nil, constants.ErrRollupUnanswered
}

// GetParameters is the settlement's parameters.
func (a *RollupApi) GetParameters() (json.RawMessage, error) { return a.query("getParameters") }

// GetFinal is the final root, once a claim above the anchor is final.
func (a *RollupApi) GetFinal() (json.RawMessage, error) { return a.query("getFinal") }

// GetClaims is the claims of count heights from height.
func (a *RollupApi) GetClaims(height, count uint64) (json.RawMessage, error) {
	return a.query("getClaims", height, count)
}

// GetBond is an address's bond.
func (a *RollupApi) GetBond(address types.Address) (json.RawMessage, error) {
	return a.query("getBond", address)
}

// GetChallenge is a challenge by its id.
func (a *RollupApi) GetChallenge(id types.Hash) (json.RawMessage, error) {
	return a.query("getChallenge", id)
}

// GetChallenges is the challenges of count heights from height.
func (a *RollupApi) GetChallenges(height, count uint64) (json.RawMessage, error) {
	return a.query("getChallenges", height, count)
}

// GetDaChallenges is the data-availability challenges of count heights from height.
func (a *RollupApi) GetDaChallenges(height, count uint64) (json.RawMessage, error) {
	return a.query("getDaChallenges", height, count)
}

// GetOpenDaChallenges is the data-availability challenges not yet answered or expired.
func (a *RollupApi) GetOpenDaChallenges() (json.RawMessage, error) {
	return a.query("getOpenDaChallenges")
}

// GetWithdrawal says whether a rollup transaction's withdrawal was paid, and by which L1 block.
func (a *RollupApi) GetWithdrawal(txHash types.Hash) (json.RawMessage, error) {
	return a.query("getWithdrawal", txHash)
}

// GetRefused is the recent refusals, newest last.
func (a *RollupApi) GetRefused() (json.RawMessage, error) { return a.query("getRefused") }

// GetOwed is the payouts due that the inbox could not cover yet.
func (a *RollupApi) GetOwed() (json.RawMessage, error) { return a.query("getOwed") }
