//go:build tools

// Package regtest pins the lnd and btcd binaries used by the lnpayd regtest
// integration tests. Nothing here is compiled into lnpayd; the blank imports
// only make `go mod tidy` record every dependency of the four main packages
// in go.sum so that scripts/ensure-regtest.sh can build them reproducibly.
package regtest

import (
	_ "github.com/btcsuite/btcd"
	_ "github.com/btcsuite/btcd/cmd/btcctl"
	_ "github.com/lightningnetwork/lnd/cmd/lncli"
	_ "github.com/lightningnetwork/lnd/cmd/lnd"
)
