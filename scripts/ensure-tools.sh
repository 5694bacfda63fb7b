#!/usr/bin/env bash
# Install/verify the external tools lnpayd's tests and benchmarks need.
# Usage: scripts/ensure-tools.sh protoc|grpcurl|lnbits|promparser|webhooks|browser|nostr-relay|nwc-wallet|postgres|all
# Everything goes under <repo>/.tools/ (protoc may come from apt: see README).
set -euo pipefail

GRPCURL_VERSION="v1.9.4"
LNBITS_VERSION="1.6.2"
LNBITS_PIP_SPECS=("lnbits==${LNBITS_VERSION}" "bitstring<5")
# The Prometheus project's Python client: its text-format parser checks /metrics.
PROMPARSER_SPEC="prometheus-client==0.26.0"
# The checkout page's browser test: Debian's Chromium and chromedriver,
# zbarimg to read the QR code off a screenshot, Selenium to drive them.
SELENIUM_SPEC="selenium==4.27.1"
# Standard Webhooks' own verifiers, for the receivers tests/webhooks runs
# (Python from PyPI; the npm one is pinned by tests/webhooks/receivers/node/package-lock.json).
WEBHOOKS_PY_SPEC="standardwebhooks==1.1.0"

# A real Nostr relay (crates.io) for tests/nwc.
NOSTR_RELAY_VERSION="0.8.12"
# The one dependency moved from its lockfile (see ensure_nostr_relay).
NOSTR_RELAY_TIME="0.3.36"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS="$REPO/.tools"
BIN="$TOOLS/bin"

log() { echo "ensure-tools: $*"; }
die() { echo "ensure-tools: ERROR: $*" >&2; exit 1; }
rel() { echo "${1#"$REPO"/}"; }

# protoc must accept proto3 `optional` and find the well-known types.
protoc_works() {
    local p="$1" tmp rc
    [ -x "$p" ] || return 1
    tmp="$(mktemp -d)"
    cat >"$tmp/t.proto" <<'PROTO'
syntax = "proto3";
package ensuretools;
import "google/protobuf/timestamp.proto";
message T { optional string a = 1; google.protobuf.Timestamp t = 2; }
PROTO
    "$p" -I"$tmp" --descriptor_set_out="$tmp/t.pb" "$tmp/t.proto" >/dev/null 2>&1 && rc=0 || rc=$?
    rm -rf "$tmp"
    return "$rc"
}

apt_install() {
    [ "$(id -u)" = 0 ] || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    local pkg need_update=0
    for pkg in "$@"; do
        # No candidate (e.g. empty package lists): refresh the lists once.
        # (no `| grep -q` here: with pipefail, grep's early exit SIGPIPEs apt-cache)
        case "$(apt-cache policy "$pkg" 2>/dev/null || true)" in
            *"Candidate: (none)"* | "") need_update=1 ;;
        esac
    done
    if [ "$need_update" = 1 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
}

ensure_protoc() {
    mkdir -p "$BIN"
    local p=""
    # 1. Already linked by a previous run.
    if protoc_works "$BIN/protoc"; then
        p="$(readlink -f "$BIN/protoc")"
    else
        # 2. On PATH (ignoring our own link).
        local cand
        cand="$(PATH="$(echo "$PATH" | tr ':' '\n' | grep -vx "$BIN" | paste -sd:)" command -v protoc || true)"
        if [ -n "$cand" ] && protoc_works "$cand"; then
            p="$(readlink -f "$cand")"
        elif [ -n "$cand" ] && [ "$(readlink -f "$cand")" = /usr/bin/protoc ]; then
            # Debian protoc without the WKT .proto files: they live in libprotobuf-dev.
            apt_install libprotobuf-dev || true
            protoc_works "$cand" && p="$(readlink -f "$cand")"
        else
            # 3. Debian/Ubuntu package (protoc 3.21 on bookworm; WKT includes in libprotobuf-dev).
            if apt_install protobuf-compiler libprotobuf-dev && protoc_works /usr/bin/protoc; then
                p=/usr/bin/protoc
            fi
        fi
        [ -n "$p" ] || die "protoc: no working protoc (need >= 3.15 with google/protobuf/*.proto includes). Install protobuf-compiler + libprotobuf-dev (Debian) or set PATH to a protoc release."
        ln -sfn "$p" "$BIN/protoc"
    fi
    log "protoc ok ($(rel "$BIN/protoc") -> $p, $("$p" --version))"
}

ensure_grpcurl() {
    mkdir -p "$BIN"
    local have=""
    if [ -x "$BIN/grpcurl" ]; then have="$("$BIN/grpcurl" --version 2>&1 || true)"; fi
    if [ "$have" != "grpcurl $GRPCURL_VERSION" ]; then
        command -v go >/dev/null 2>&1 || die "grpcurl: 'go' not found on PATH"
        log "building grpcurl $GRPCURL_VERSION (go install)"
        # `go install` leaves main.version unset ("dev build <no version set>"): set it like
        # upstream's goreleaser does, so the version check below and the skip check work.
        GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$BIN" GOFLAGS="${GOFLAGS:-} -trimpath" \
            go install -ldflags "-X main.version=$GRPCURL_VERSION" \
            "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" \
            || die "grpcurl: go install failed"
        have="$("$BIN/grpcurl" --version 2>&1 || true)"
        [ "$have" = "grpcurl $GRPCURL_VERSION" ] || die "grpcurl: built binary reports '$have', expected 'grpcurl $GRPCURL_VERSION'"
    fi
    log "grpcurl ok ($(rel "$BIN/grpcurl") $GRPCURL_VERSION)"
}

ensure_lnbits() {
    local venv="$TOOLS/lnbits-venv" stamp want
    stamp="$venv/.ensure-tools-stamp"
    want="${LNBITS_PIP_SPECS[*]}"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        log "lnbits ok ($(rel "$venv") lnbits $LNBITS_VERSION)"
        return
    fi
    local py="${LNBITS_PYTHON:-}"
    if [ -z "$py" ]; then
        for c in python3.12 python3.11 python3.10 python3; do
            if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, venv, sqlite3; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null; then
                py="$(command -v "$c")"; break
            fi
        done
    fi
    [ -n "$py" ] || die "lnbits: need Python 3.10-3.12 (lnbits requires <3.13) with venv and sqlite3 (set LNBITS_PYTHON)"
    log "creating $(rel "$venv") with $py ($("$py" --version 2>&1)); installing $want"
    rm -rf "$venv"
    mkdir -p "$TOOLS"
    "$py" -m venv "$venv" || die "lnbits: venv creation failed (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${LNBITS_PIP_SPECS[@]}" \
        || die "lnbits: pip install failed"
    # Import check: catches the bitstring>=5 ImportError and similar breakage now, not at fixture start.
    # lnbits must be imported with cwd = site-packages (static dir) and writes logs to its data folder.
    local site tmpdata rc
    site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    tmpdata="$(mktemp -d)"
    (cd "$site" && LNBITS_DATA_FOLDER="$tmpdata" "$venv/bin/python" -c 'import lnbits.__main__, uvicorn, httpx, websockets') \
        >"$tmpdata.importcheck.log" 2>&1 && rc=0 || rc=$?
    if [ "$rc" != 0 ]; then
        tail -n 20 "$tmpdata.importcheck.log" >&2
        rm -rf "$tmpdata" "$tmpdata.importcheck.log"
        die "lnbits: import check failed"
    fi
    rm -rf "$tmpdata" "$tmpdata.importcheck.log"
    echo "$want" >"$stamp"
    log "lnbits ok ($(rel "$venv") lnbits $LNBITS_VERSION)"
}

ensure_promparser() {
    local venv="$TOOLS/py-venv" stamp="$TOOLS/py-venv/.ensure-tools-stamp"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PROMPARSER_SPEC" ]; then
        log "promparser ok ($(rel "$venv") $PROMPARSER_SPEC)"
        return
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || die "promparser: venv creation failed (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$PROMPARSER_SPEC" || die "promparser: pip install failed"
    "$venv/bin/python" -c 'from prometheus_client.parser import text_string_to_metric_families' || die "promparser: import failed"
    echo "$PROMPARSER_SPEC" >"$stamp"
    log "promparser ok ($(rel "$venv") $PROMPARSER_SPEC)"
}

ensure_browser() {
    local have=1 tool
    for tool in chromium chromedriver zbarimg; do
        command -v "$tool" >/dev/null 2>&1 || have=0
    done
    if [ "$have" = 0 ]; then
        apt_install chromium chromium-driver zbar-tools || die "browser: install chromium chromium-driver zbar-tools (Debian)"
    fi
    local venv="$TOOLS/browser-venv" stamp="$TOOLS/browser-venv/.ensure-tools-stamp"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$SELENIUM_SPEC" ]; then
        log "browser ok ($(rel "$venv") $SELENIUM_SPEC)"
        return
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || die "browser: venv creation failed (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$SELENIUM_SPEC" || die "browser: pip install failed"
    echo "$SELENIUM_SPEC" >"$stamp"
    log "browser ok ($(rel "$venv") $SELENIUM_SPEC)"
}

# The webhook receivers' verifiers: a venv with standardwebhooks (PyPI), and
# node_modules from tests/webhooks/receivers/node's lockfile (npm ci).
ensure_webhooks() {
    local venv="$TOOLS/webhooks-venv" stamp="$TOOLS/webhooks-venv/.ensure-tools-stamp"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$WEBHOOKS_PY_SPEC" ]; then
        log "webhooks python ok ($(rel "$venv") $WEBHOOKS_PY_SPEC)"
    else
        rm -rf "$venv"
        python3 -m venv "$venv" || die "webhooks: venv creation failed (Debian: apt-get install python3-venv)"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$WEBHOOKS_PY_SPEC" || die "webhooks: pip install failed"
        "$venv/bin/python" -c 'from standardwebhooks.webhooks import Webhook' || die "webhooks: import failed"
        echo "$WEBHOOKS_PY_SPEC" >"$stamp"
        log "webhooks python ok ($(rel "$venv") $WEBHOOKS_PY_SPEC)"
    fi
    local src="$REPO/tests/webhooks/receivers/node" dst="$TOOLS/webhooks-node" want
    command -v npm >/dev/null 2>&1 || die "webhooks: npm not found (Node.js 20 or later)"
    want="$(cat "$src/package-lock.json")"
    if [ -d "$dst/node_modules" ] && [ -f "$dst/package-lock.json" ] && [ "$(cat "$dst/package-lock.json")" = "$want" ]; then
        log "webhooks node ok ($(rel "$dst"))"
        return
    fi
    rm -rf "$dst"
    mkdir -p "$dst"
    cp "$src/package.json" "$src/package-lock.json" "$dst/"
    (cd "$dst" && npm ci --silent --no-audit --no-fund) || die "webhooks: npm ci failed"
    log "webhooks node ok ($(rel "$dst"))"
}

# nostr-rs-relay, built from crates.io with its own lockfile (--locked).
# It compiles for several minutes; the stamp makes later runs instant.
ensure_nostr_relay() {
    # Built once per machine into the user's cache (a fresh clone, as CI
    # makes, would otherwise rebuild it every run) and linked into .tools.
    local root="${XDG_CACHE_HOME:-$HOME/.cache}/lnpayd-tools/nostr-relay-$NOSTR_RELAY_VERSION-time-$NOSTR_RELAY_TIME"
    local stamp="$root/.ensure-tools-stamp"
    mkdir -p "$(dirname "$root")"
    if [ -x "$root/bin/nostr-rs-relay" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$NOSTR_RELAY_VERSION time=$NOSTR_RELAY_TIME" ]; then
        ln -sfn "$root" "$TOOLS/nostr-relay"
        log "nostr-relay ok ($root/bin/nostr-rs-relay $NOSTR_RELAY_VERSION)"
        return
    fi
    command -v cargo >/dev/null 2>&1 || die "nostr-relay: 'cargo' not found on PATH"
    # Its build script compiles protos: protoc must be there.
    ensure_protoc >/dev/null
    log "building nostr-rs-relay $NOSTR_RELAY_VERSION (cargo install; several minutes)"
    # Its published Cargo.lock pins time 0.3.25, which no longer compiles
    # (rustc >= 1.80: "type annotations needed for Box<_>"). So: its own
    # lockfile, with only `time` moved to a release that compiles.
    local src
    src="$(mktemp -d)"
    local crate
    crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"nostr-rs-relay-$NOSTR_RELAY_VERSION.crate" 2>/dev/null | head -1 || true)"
    if [ -z "$crate" ]; then
        # Have cargo fetch the crate into its cache.
        cargo info "nostr-rs-relay@$NOSTR_RELAY_VERSION" >/dev/null 2>&1 || true
        crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"nostr-rs-relay-$NOSTR_RELAY_VERSION.crate" 2>/dev/null | head -1 || true)"
    fi
    [ -n "$crate" ] || die "nostr-relay: cannot get nostr-rs-relay $NOSTR_RELAY_VERSION from crates.io"
    tar xzf "$crate" -C "$src"
    (
        cd "$src/nostr-rs-relay-$NOSTR_RELAY_VERSION"
        cargo update --quiet -p time@0.3.25 --precise "$NOSTR_RELAY_TIME"
        PROTOC="$BIN/protoc" cargo install --locked --quiet --path . --root "$root"
    ) || { rm -rf "$src"; die "nostr-relay: build failed"; }
    rm -rf "$src"
    echo "$NOSTR_RELAY_VERSION time=$NOSTR_RELAY_TIME" >"$stamp"
    rm -rf "$TOOLS/nostr-relay"
    ln -sfn "$root" "$TOOLS/nostr-relay"
    log "nostr-relay ok ($root/bin/nostr-rs-relay $NOSTR_RELAY_VERSION)"
}

# The NIP-47 wallet service's packages (Alby's @getalby/sdk, nostr-tools,
# @grpc/grpc-js), pinned by tests/nwc/wallet-service/package-lock.json.
# Debian's PostgreSQL server, for the throwaway clusters of the PostgreSQL
# store's tests (testkit/src/postgres.rs finds /usr/lib/postgresql/*/bin).
ensure_postgres() {
    if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
        log "postgres: $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -1)"
        return 0
    fi
    apt_install postgresql || die "postgres: install Debian's postgresql package (sudo apt-get install -y postgresql)"
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || die "postgres: no initdb after installing postgresql"
    # Debian's package starts a cluster of its own; the tests start theirs.
    log "postgres: installed $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -1)"
}

ensure_nwc_wallet() {
    local src="$REPO/tests/nwc/wallet-service" dir="$TOOLS/nwc-wallet-node" want
    command -v node >/dev/null 2>&1 || die "nwc-wallet: 'node' not found (Debian: apt-get install nodejs npm)"
    want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ -d "$dir/node_modules/@getalby/sdk" ] && [ "$(cat "$dir/.ensure-tools-stamp" 2>/dev/null)" = "$want" ]; then
        log "nwc-wallet ok ($(rel "$dir"))"
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "nwc-wallet: npm ci failed"
    (cd "$dir" && node --input-type=module -e 'import("@getalby/sdk/nwc").then((m) => { if (!m.NWCWalletService) process.exit(1) })') \
        || die "nwc-wallet: @getalby/sdk has no NWCWalletService"
    echo "$want" >"$dir/.ensure-tools-stamp"
    log "nwc-wallet ok ($(rel "$dir"))"
}

case "${1:-}" in
    protoc | grpcurl | lnbits | promparser | webhooks | browser | nostr-relay | nwc-wallet | postgres | all) ;;
    *) echo "usage: $0 protoc|grpcurl|lnbits|promparser|webhooks|browser|nostr-relay|nwc-wallet|postgres|all" >&2; exit 2 ;;
esac

# Serialise concurrent runs (e.g. parallel test binaries) so they don't build into the same place.
mkdir -p "$TOOLS"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$TOOLS/.lock"
    flock 9
fi

case "$1" in
    protoc) ensure_protoc ;;
    grpcurl) ensure_grpcurl ;;
    lnbits) ensure_lnbits ;;
    promparser) ensure_promparser ;;
    browser) ensure_browser ;;
    webhooks) ensure_webhooks ;;
    nostr-relay) ensure_nostr_relay ;;
    nwc-wallet) ensure_nwc_wallet ;;
    postgres) ensure_postgres ;;
    all) ensure_protoc; ensure_grpcurl; ensure_lnbits; ensure_promparser; ensure_webhooks; ensure_browser; ensure_nostr_relay; ensure_nwc_wallet; ensure_postgres ;;
esac
