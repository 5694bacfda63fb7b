#!/usr/bin/env bash
# End-to-end proof of the lnpayd regtest recipe, and the reference the Rust
# test harness follows (see tests/regtest/README.md).
#
#   btcd "chain"  : the backend both lnd nodes talk to (never restarted)
#   btcd "miner"  : started once bob has an address, --miningaddr=<bob>,
#                   --connect=<chain>; `generate N` here, blocks relay to chain
#   lnd  "alice"  : merchant (invoices)      lnd "bob": payer (funds, channel)
#
# Everything lives in a fresh temp dir (removed on exit) and listens on
# 127.0.0.1 ports picked by binding port 0. Every process started here is
# killed on exit, failure or Ctrl-C.
#
# Env: REGTEST_KEEP=1 keeps the temp dir (logs, credentials) for debugging.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo_root/.tools/regtest/bin"

for tool in python3 jq; do
  command -v "$tool" >/dev/null || { echo "regtest-smoke: $tool is required" >&2; exit 1; }
done

# --- build (not timed) -------------------------------------------------------
"$repo_root/scripts/ensure-regtest.sh"

# --- helpers -----------------------------------------------------------------
now_us() { echo "${EPOCHREALTIME/./}"; }
fmt_s() { awk -v us="$1" 'BEGIN { printf "%.2f s", us / 1e6 }'; }
log() { printf '[%7s] %s\n' "$(fmt_s $(( $(now_us) - t_start )))" "$*"; }

phase_names=()
phase_us=()
phase_t0=0
phase_begin() { phase_t0=$(now_us); log "== $1"; }
phase_end() {
  local d=$(( $(now_us) - phase_t0 ))
  phase_names+=("$1")
  phase_us+=("$d")
  log "-- $1: $(fmt_s "$d")"
}

# wait_until <timeout-seconds> <description> <command...>
# Polls every 100 ms until the command succeeds; no fixed sleeps anywhere.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$(( $(now_us) + timeout * 1000000 ))
  until "$@" >/dev/null 2>&1; do
    if (( $(now_us) > deadline )); then
      echo "regtest-smoke: timed out after ${timeout}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

# N free loopback TCP ports, all held open at once so they are distinct.
free_ports() {
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# --- temp dir, process bookkeeping, cleanup ----------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/lnpayd-smoke.XXXXXX")"
declare -A pids=()

# Stop lnd before btcd: an lnd whose btcd is gone hangs ~10 s in shutdown
# (its btcd notifier keeps reconnecting).
stop_procs() { # names...: SIGTERM, wait up to 15 s, then SIGKILL
  local name pid deadline
  for name in "$@"; do
    [[ -n ${pids[$name]:-} ]] && kill -TERM "${pids[$name]}" 2>/dev/null || true
  done
  deadline=$(( $(now_us) + 15000000 ))
  for name in "$@"; do
    pid=${pids[$name]:-}
    [[ -z $pid ]] && continue
    while kill -0 "$pid" 2>/dev/null && (( $(now_us) < deadline )); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "pids[$name]"
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local t0
  t0=$(now_us)
  stop_procs alice bob
  stop_procs miner chain
  stop_procs "${!pids[@]}"
  echo "regtest-smoke: all processes stopped in $(fmt_s $(( $(now_us) - t0 )))" >&2
  if (( rc != 0 )); then
    echo "regtest-smoke: FAILED (exit $rc); last log lines:" >&2
    for f in "$work"/chain/btcd.out "$work"/miner/btcd.out "$work"/alice/lnd.out "$work"/bob/lnd.out; do
      [[ -f $f ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  if [[ "${REGTEST_KEEP:-0}" == 1 ]]; then
    echo "regtest-smoke: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r chain_p2p chain_rpc miner_rpc alice_rpc alice_p2p bob_rpc bob_p2p <<<"$(free_ports 7)"
rpcuser=lnpayd
rpcpass=lnpayd-regtest

t_start=$(now_us)
log "work dir $work"

# --- btcd --------------------------------------------------------------------
# btcd/btcctl find their home dir with user.Current() (the passwd entry), NOT
# $HOME, so a private HOME does not isolate them. Instead every path is given
# explicitly, including an empty --configfile: otherwise btcctl tries to build
# ~/.btcctl/btcctl.conf from ~/.btcd/btcd.conf. (btcd still mkdirs an empty
# ~/.btcd; on regtest it neither reads nor creates a btcd.conf there.)
btcd_common=(--regtest --rpcuser="$rpcuser" --rpcpass="$rpcpass"
  --txindex --rejectnonstd --nobanning --nostalldetect --trickleinterval=100ms)

start_btcd() { # name extra-args...
  local name=$1 d="$work/$1"
  shift
  mkdir -p "$d"
  : >"$d/btcd.conf"
  "$bin/btcd" --configfile="$d/btcd.conf" "${btcd_common[@]}" \
    --datadir="$d/data" --logdir="$d/logs" \
    --rpccert="$d/rpc.cert" --rpckey="$d/rpc.key" "$@" \
    >"$d/btcd.out" 2>&1 &
  pids[$name]=$!
}

: >"$work/btcctl.conf"
btcctl() { # name rpc-port args...
  local name=$1 port=$2
  shift 2
  "$bin/btcctl" --configfile="$work/btcctl.conf" --regtest \
    --rpcuser="$rpcuser" --rpcpass="$rpcpass" \
    --rpccert="$work/$name/rpc.cert" --rpcserver="127.0.0.1:$port" "$@"
}
chain_cli() { btcctl chain "$chain_rpc" "$@"; }
miner_cli() { btcctl miner "$miner_rpc" "$@"; }

# --- lnd ---------------------------------------------------------------------
start_lnd() { # name rpc-port p2p-port
  local name=$1 rpc=$2 p2p=$3 d="$work/$1"
  mkdir -p "$d"
  "$bin/lnd" \
    --lnddir="$d" \
    --alias="$name" \
    --noseedbackup \
    --nobootstrap \
    --norest \
    --rpclisten="127.0.0.1:$rpc" \
    --listen="127.0.0.1:$p2p" \
    --tlsextraip=127.0.0.1 \
    --bitcoin.regtest \
    --bitcoin.node=btcd \
    --btcd.rpchost="127.0.0.1:$chain_rpc" \
    --btcd.rpcuser="$rpcuser" \
    --btcd.rpcpass="$rpcpass" \
    --btcd.rpccert="$work/chain/rpc.cert" \
    --bitcoin.defaultchanconfs=1 \
    --trickledelay=50 \
    --accept-keysend \
    --db.batch-commit-interval=10ms \
    --maxbackoff=2s \
    >>"$d/lnd.out" 2>&1 &
  pids[$name]=$!
}

macdir() { echo "$work/$1/data/chain/bitcoin/regtest"; }
lncli_as() { # name rpc-port macaroon args...
  local name=$1 rpc=$2 mac=$3
  shift 3
  "$bin/lncli" --rpcserver="127.0.0.1:$rpc" --tlscertpath="$work/$name/tls.cert" \
    --macaroonpath="$(macdir "$name")/$mac.macaroon" "$@"
}
alice() { lncli_as alice "$alice_rpc" admin "$@"; }
alice_inv() { lncli_as alice "$alice_rpc" invoice "$@"; } # what lnpayd gets
bob() { lncli_as bob "$bob_rpc" admin "$@"; }

# Readiness predicates (all used with wait_until).
lnd_state_is() { # cli-fn state...
  local s
  s=$("$1" state 2>/dev/null | jq -r .state) || return 1
  shift
  local want
  for want in "$@"; do [[ $s == "$want" ]] && return 0; done
  return 1
}
lnd_synced_at() { # cli-fn height
  local info
  info=$("$1" getinfo) || return 1
  [[ $(jq -r .synced_to_chain <<<"$info") == true && $(jq -r .block_height <<<"$info") -ge $2 ]]
}
chain_height_is() { [[ $(chain_cli getblockcount) -ge $1 ]]; }
# BIP9 status as btcd reports it for the *next* block (active from height 432).
softfork_active() { # name
  [[ $(chain_cli getblockchaininfo | jq -r --arg f "$1" '.bip9_softforks[$f].status') == active ]]
}
miner_has_peer() { [[ $(miner_cli getconnectioncount) -ge 1 ]]; }
in_miner_mempool() { miner_cli getrawmempool | jq -e --arg t "$1" 'index($t) != null' >/dev/null; }
active_channels_ge() { # cli-fn n
  [[ $("$1" listchannels --active_only | jq '.channels | length') -ge $2 ]]
}
confirmed_balance_ge() { # cli-fn sats
  [[ $("$1" walletbalance | jq -r .confirmed_balance) -ge $2 ]]
}
# `listchannels --active_only` (= link EligibleToForward) turns true before
# bob's router can use the channel: paying right then fails at once with
# FAILURE_REASON_INSUFFICIENT_BALANCE ("only have local balance: 0 mSAT").
# queryroutes runs the same pathfinding + bandwidth hints as the payment.
bob_can_route() { bob queryroutes --dest "$alice_pk" --amt 1000 >/dev/null; }
invoice_settled() { # r_hash
  [[ $(alice_inv lookupinvoice "$1" | jq -r .state) == SETTLED ]]
}

mine() { # n: mine on the miner, wait until the backend btcd has the blocks
  local n=$1 target
  target=$(( $(chain_cli getblockcount) + n ))
  miner_cli generate "$n" >/dev/null
  wait_until 60 "chain btcd at height $target" chain_height_is "$target"
}

pay_once() { # label
  local inv r_hash req
  inv=$(alice_inv addinvoice --amt 1000 --memo "lnpayd smoke $1")
  r_hash=$(jq -r .r_hash <<<"$inv")
  req=$(jq -r .payment_request <<<"$inv")
  log "alice invoice $r_hash"
  if ! bob payinvoice --force "$req" >"$work/pay-$1.out" 2>&1; then
    cat "$work/pay-$1.out" >&2
    return 1
  fi
  wait_until 30 "invoice $r_hash SETTLED" invoice_settled "$r_hash"
  log "payment $1 SETTLED (amt_paid_sat=$(alice_inv lookupinvoice "$r_hash" | jq -r .amt_paid_sat))"
}

# === 1. btcd backend ==========================================================
phase_begin "btcd start"
start_btcd chain --listen="127.0.0.1:$chain_p2p" --rpclisten="127.0.0.1:$chain_rpc"
wait_until 60 "chain btcd rpc" chain_cli getblockcount
phase_end "btcd start"

# === 2. lnd alice + bob =======================================================
# The regtest chain is only the 2011 genesis block, so lnd cannot finish chain
# sync (tip must be < 2 h old) and stops at RPC_ACTIVE (wallet unlocked, wallet
# RPCs such as newaddress work). SERVER_ACTIVE comes after the first blocks.
phase_begin "lnd start (to RPC_ACTIVE)"
start_lnd alice "$alice_rpc" "$alice_p2p"
start_lnd bob "$bob_rpc" "$bob_p2p"
wait_until 120 "alice RPC_ACTIVE" lnd_state_is alice RPC_ACTIVE SERVER_ACTIVE
wait_until 120 "bob RPC_ACTIVE" lnd_state_is bob RPC_ACTIVE SERVER_ACTIVE
phase_end "lnd start (to RPC_ACTIVE)"

# === 3. miner btcd paying bob ================================================
phase_begin "miner start"
bob_addr=$(bob newaddress p2wkh | jq -r .address)
log "bob address $bob_addr"
start_btcd miner --nolisten --rpclisten="127.0.0.1:$miner_rpc" \
  --connect="127.0.0.1:$chain_p2p" --miningaddr="$bob_addr"
wait_until 60 "miner btcd rpc" miner_cli getblockcount
wait_until 60 "miner connected to chain btcd" miner_has_peer
phase_end "miner start"

# === 4. fund bob, activate segwit, lnd fully up ==============================
# btcd's regtest activates segwit (and taproot) by BIP9 signalling with a
# 144-block window: DEFINED -> STARTED at 144 -> LOCKED_IN at 288 -> ACTIVE at
# 432. Before that btcd's mempool rejects every segwit spend ("has witness
# data, but segwit isn't active yet"), i.e. lnd's funding tx. So "101 blocks"
# is not enough on btcd: mine 432 (also >= 100 for coinbase maturity).
phase_begin "mine 432 + lnd synced/SERVER_ACTIVE"
mine 432
softfork_active segwit || { echo "regtest-smoke: segwit not active at height $(chain_cli getblockcount)" >&2; exit 1; }
softfork_active taproot || { echo "regtest-smoke: taproot not active at height $(chain_cli getblockcount)" >&2; exit 1; }
height=$(chain_cli getblockcount)
for n in alice bob; do
  wait_until 120 "$n synced_to_chain at $height" lnd_synced_at "$n" "$height"
  wait_until 60 "$n SERVER_ACTIVE" lnd_state_is "$n" SERVER_ACTIVE
done
wait_until 60 "bob confirmed balance" confirmed_balance_ge bob 1000000
phase_end "mine 432 + lnd synced/SERVER_ACTIVE"

alice_pk=$(alice getinfo | jq -r .identity_pubkey)
bob_pk=$(bob getinfo | jq -r .identity_pubkey)
log "alice $alice_pk  bob $bob_pk"

# === 5. channel bob -> alice ==================================================
phase_begin "connect + open 1,000,000 sat channel + mine 6 + active"
bob connect "$alice_pk@127.0.0.1:$alice_p2p" >/dev/null
funding_txid=$(bob openchannel --node_key="$alice_pk" --local_amt=1000000 | jq -r .funding_txid)
log "funding tx $funding_txid"
wait_until 60 "funding tx in miner mempool" in_miner_mempool "$funding_txid"
mine 6
height=$(chain_cli getblockcount)
for n in alice bob; do
  wait_until 60 "$n synced at $height" lnd_synced_at "$n" "$height"
  wait_until 60 "$n channel active" active_channels_ge "$n" 1
done
wait_until 60 "bob has a route to alice" bob_can_route
phase_end "connect + open 1,000,000 sat channel + mine 6 + active"
network_us=$(( $(now_us) - t_start ))

# === 6. payment 1 =============================================================
phase_begin "payment 1"
pay_once 1
phase_end "payment 1"

# === 7. restart alice =========================================================
phase_begin "alice restart to channel active"
alice stop >/dev/null # graceful, like a real operator restart
alice_exited() { ! kill -0 "${pids[alice]}" 2>/dev/null; }
wait_until 60 "alice lnd process exit" alice_exited
wait "${pids[alice]}" || true
unset 'pids[alice]'
log "alice stopped"
start_lnd alice "$alice_rpc" "$alice_p2p"
wait_until 120 "alice SERVER_ACTIVE after restart" lnd_state_is alice SERVER_ACTIVE
log "alice SERVER_ACTIVE"
wait_until 120 "alice channel active after restart" active_channels_ge alice 1
wait_until 120 "bob channel active after restart" active_channels_ge bob 1
wait_until 60 "bob has a route to alice after restart" bob_can_route
phase_end "alice restart to channel active"

# === 8. payment 2 =============================================================
phase_begin "payment 2"
pay_once 2
phase_end "payment 2"

total_us=$(( $(now_us) - t_start ))

echo
echo "Credentials (alice = merchant node lnpayd talks to; under $work, which is"
echo "removed on exit unless REGTEST_KEEP=1):"
echo "  grpc             127.0.0.1:$alice_rpc"
echo "  tls.cert         $work/alice/tls.cert"
echo "  invoice.macaroon $(macdir alice)/invoice.macaroon"
echo "  admin.macaroon   $(macdir alice)/admin.macaroon"
echo "  (bob: 127.0.0.1:$bob_rpc, $work/bob/tls.cert, $(macdir bob)/admin.macaroon)"
echo "  logs             $work/{chain,miner}/logs, $work/{alice,bob}/logs"
echo
echo "Timings (build excluded):"
for i in "${!phase_names[@]}"; do
  printf '  %-55s %s\n' "${phase_names[$i]}" "$(fmt_s "${phase_us[$i]}")"
done
printf '  %-55s %s\n' "network start-up to channel active" "$(fmt_s "$network_us")"
printf '  %-55s %s\n' "TOTAL" "$(fmt_s "$total_us")"
echo "regtest-smoke: ok"
