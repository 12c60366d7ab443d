// Command zr-localnet writes what a local one-pillar go-zenon network needs to start: a genesis with one pillar
// (its producer key made here), funded accounts with fused QSR for their plasma and the rollup spork active from
// momentum 2, the producer's encrypted key file, and znnd's config.json (loopback RPC, networking off).
//
//	zr-localnet -dir DIR -fund z1...,z1... [-chain-identifier 321] [-http-port 35997] [-ws-port 35998]
//
// It is built inside a go-zenon tree with the spork placed (ops/znnd.sh build), so it writes go-zenon's own types,
// and checks the genesis with go-zenon's own CheckGenesis before writing anything. It prints one JSON line:
// the producer's address and the genesis timestamp.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tyler-smith/go-bip39"

	"github.com/zenon-network/go-zenon/chain/genesis"
	"github.com/zenon-network/go-zenon/common/types"
	"github.com/zenon-network/go-zenon/node"
	"github.com/zenon-network/go-zenon/vm/constants"
	"github.com/zenon-network/go-zenon/vm/embedded/definition"
	"github.com/zenon-network/go-zenon/wallet"
)

const (
	// The devnet's own genesis funds each account with as much (zr-devnet's Genesis::dev).
	fundedZnn   = 1_000_000 * 100_000_000
	fundedQsr   = 1_000_000 * 100_000_000
	fusedQsr    = 5_000 * 100_000_000
	pillarZnn   = 1_000 * 100_000_000
	pillarName  = "zr-localnet-pillar"
	keyFileName = "producer.json"
	// The producer's key file only guards a throwaway local key; znnd's config must carry its password.
	keyFilePassword = "zr-localnet"
	// The rollup spork is enforced from this momentum on (momentum 1 is the genesis).
	sporkHeight = 2
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "zr-localnet: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "directory to write genesis.json, config.json and wallet/ into (znnd's data directory)")
	fund := flag.String("fund", "", "comma-separated addresses to fund with ZNN, QSR and fused QSR")
	chainIdentifier := flag.Uint64("chain-identifier", 321, "the L1 chain identifier")
	httpPort := flag.Int("http-port", 35997, "znnd's JSON-RPC over HTTP, on 127.0.0.1")
	wsPort := flag.Int("ws-port", 35998, "znnd's JSON-RPC over WebSocket, on 127.0.0.1")
	p2pPort := flag.Int("p2p-port", 35995, "znnd's p2p listening port, on 127.0.0.1 (no peers are dialled)")
	flag.Parse()
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	if _, err := os.Stat(filepath.Join(*dir, "genesis.json")); err == nil {
		return fmt.Errorf("%s already holds a genesis.json: remove the directory to start a new network", *dir)
	}
	var funded []types.Address
	for _, text := range strings.Split(*fund, ",") {
		if text = strings.TrimSpace(text); text == "" {
			continue
		}
		address, err := types.ParseAddress(text)
		if err != nil {
			return fmt.Errorf("-fund: %q is not an address: %w", text, err)
		}
		if !contains(funded, address) {
			funded = append(funded, address)
		}
	}
	dataDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	walletDir := filepath.Join(dataDir, "wallet")
	if err := os.MkdirAll(walletDir, 0o700); err != nil {
		return err
	}

	producer, err := newProducerKeyFile(filepath.Join(walletDir, keyFileName))
	if err != nil {
		return fmt.Errorf("cannot write the producer's key file: %w", err)
	}
	timestamp := time.Now().Unix()
	config := genesisConfig(*chainIdentifier, timestamp, producer, funded)
	if err := genesis.CheckGenesis(config); err != nil {
		return fmt.Errorf("the genesis is not valid: %w", err)
	}
	nodeConfig := node.Config{
		DataPath:    dataDir,
		WalletPath:  walletDir,
		GenesisFile: filepath.Join(dataDir, "genesis.json"),
		Name:        "zr-localnet",
		LogLevel:    "info",
		Producer: &node.ProducerConfig{
			Address:     producer.String(),
			Index:       0,
			KeyFilePath: keyFileName,
			Password:    keyFilePassword,
		},
		RPC: node.RPCConfig{
			EnableHTTP: true, HTTPHost: "127.0.0.1", HTTPPort: *httpPort,
			EnableWS: true, WSHost: "127.0.0.1", WSPort: *wsPort,
			Endpoints: []string{}, HTTPVirtualHosts: []string{"localhost", "127.0.0.1"},
			HTTPCors: []string{"*"}, WSOrigins: []string{"*"},
		},
		// One node and no peers: with MinPeers 0 znnd counts itself in sync, so its pillar produces.
		Net: node.NetConfig{
			ListenHost: "127.0.0.1", ListenPort: *p2pPort,
			MinPeers: 0, MinConnectedPeers: 0, MaxPeers: 0, MaxPendingPeers: 0,
			Seeders: []string{},
		},
	}
	if err := writeJSON(filepath.Join(dataDir, "config.json"), nodeConfig); err != nil {
		return err
	}
	// Last: genesis.json marks a directory whose network is written whole (a later start runs znnd on it).
	if err := writeJSON(filepath.Join(dataDir, "genesis.json"), config); err != nil {
		return err
	}
	summary, err := json.Marshal(map[string]interface{}{
		"producer":         producer.String(),
		"genesisTimestamp": timestamp,
		"chainIdentifier":  *chainIdentifier,
	})
	if err != nil {
		return err
	}
	fmt.Println(string(summary))
	return nil
}

// newProducerKeyFile makes a fresh key store (as znn-controller's wallet does: random entropy, its BIP-39 seed,
// the address at index 0) and writes it encrypted with keyFilePassword.
func newProducerKeyFile(path string) (types.Address, error) {
	entropy := wallet.GetEntropyCSPRNG(32)
	mnemonic, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return types.Address{}, err
	}
	store := &wallet.KeyStore{Entropy: entropy, Seed: bip39.NewSeed(mnemonic, ""), Mnemonic: mnemonic}
	_, key, err := store.DeriveForIndexPath(0)
	if err != nil {
		return types.Address{}, err
	}
	store.BaseAddress = key.Address
	file, err := store.Encrypt(keyFilePassword)
	if err != nil {
		return types.Address{}, err
	}
	file.Path = path
	return key.Address, file.Write()
}

func genesisConfig(chainIdentifier uint64, timestamp int64, producer types.Address, funded []types.Address) *genesis.GenesisConfig {
	znnTotal := new(big.Int).Set(constants.PillarStakeAmount)
	qsrTotal := new(big.Int)
	var fusions []*definition.FusionInfo
	blocks := []*genesis.GenesisBlockConfig{
		{Address: types.PillarContract, BalanceList: balances(new(big.Int).Set(constants.PillarStakeAmount), nil)},
		{Address: producer, BalanceList: balances(big.NewInt(pillarZnn), nil)},
	}
	znnTotal.Add(znnTotal, big.NewInt(pillarZnn))
	for _, address := range append([]types.Address{producer}, funded...) {
		fusions = append(fusions, &definition.FusionInfo{
			Owner:       address,
			Id:          types.NewHash(append([]byte("zr-localnet fusion "), address.Bytes()...)),
			Amount:      big.NewInt(fusedQsr),
			Beneficiary: address,
		})
		qsrTotal.Add(qsrTotal, big.NewInt(fusedQsr))
	}
	blocks = append(blocks, &genesis.GenesisBlockConfig{Address: types.PlasmaContract, BalanceList: balances(nil, new(big.Int).Set(qsrTotal))})
	for _, address := range funded {
		blocks = append(blocks, &genesis.GenesisBlockConfig{Address: address, BalanceList: balances(big.NewInt(fundedZnn), big.NewInt(fundedQsr))})
		znnTotal.Add(znnTotal, big.NewInt(fundedZnn))
		qsrTotal.Add(qsrTotal, big.NewInt(fundedQsr))
	}
	maxSupply := big.NewInt(4611686018427387903)
	return &genesis.GenesisConfig{
		ChainIdentifier:     chainIdentifier,
		ExtraData:           "zrollup local network",
		GenesisTimestampSec: timestamp,
		// The producer doubles as the spork address: nobody else sends sporks here.
		SporkAddress: &producer,
		PillarConfig: &genesis.PillarContractConfig{
			Pillars: []*definition.PillarInfo{{
				Name:                         pillarName,
				BlockProducingAddress:        producer,
				StakeAddress:                 producer,
				RewardWithdrawAddress:        producer,
				Amount:                       new(big.Int).Set(constants.PillarStakeAmount),
				RegistrationTime:             timestamp,
				GiveBlockRewardPercentage:    0,
				GiveDelegateRewardPercentage: 100,
				PillarType:                   definition.NormalPillarType,
			}},
			Delegations:   []*definition.DelegationInfo{{Name: pillarName, Backer: producer}},
			LegacyEntries: []*definition.LegacyPillarEntry{},
		},
		TokenConfig: &genesis.TokenContractConfig{Tokens: []*definition.TokenInfo{
			{Owner: types.PillarContract, TokenName: "Zenon Coin", TokenSymbol: "ZNN", TokenDomain: "zenon.network",
				TotalSupply: znnTotal, MaxSupply: maxSupply, Decimals: 8, IsMintable: true, IsBurnable: true,
				IsUtility: true, TokenStandard: types.ZnnTokenStandard},
			{Owner: types.StakeContract, TokenName: "QuasarCoin", TokenSymbol: "QSR", TokenDomain: "zenon.network",
				TotalSupply: qsrTotal, MaxSupply: maxSupply, Decimals: 8, IsMintable: true, IsBurnable: true,
				IsUtility: true, TokenStandard: types.QsrTokenStandard},
		}},
		PlasmaConfig: &genesis.PlasmaContractConfig{Fusions: fusions},
		SwapConfig:   &genesis.SwapContractConfig{Entries: []*definition.SwapAssets{}},
		SporkConfig: &genesis.SporkConfig{Sporks: []*definition.Spork{{
			Id:                types.RollupSpork.SporkId,
			Name:              "rollup",
			Description:       "the zrollup inbox",
			Activated:         true,
			EnforcementHeight: sporkHeight,
		}}},
		GenesisBlocks: &genesis.GenesisBlocksConfig{Blocks: blocks},
	}
}

func balances(znn, qsr *big.Int) map[types.ZenonTokenStandard]*big.Int {
	list := map[types.ZenonTokenStandard]*big.Int{}
	if znn != nil {
		list[types.ZnnTokenStandard] = znn
	}
	if qsr != nil {
		list[types.QsrTokenStandard] = qsr
	}
	return list
}

func writeJSON(path string, value interface{}) error {
	data, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

func contains(list []types.Address, address types.Address) bool {
	for _, listed := range list {
		if listed == address {
			return true
		}
	}
	return false
}
