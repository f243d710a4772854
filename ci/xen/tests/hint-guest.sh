#!/bin/sh
# Runs inside the hinting guests of stock-vs-hint.sh (coshare.run=): hints
# the same gfn range dom0 shared the stock way, timed, through the raw op:
# coshare.hint_rounds rounds (unhinted in between; default 1), of which the
# median counts.  With coshare.hint_paced=1 each round waits for a line that
# dom0 types on the console (after its own stock sample) and reports itself
# as step=round, so both paths are timed side by side.
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
insmod /coshare/coshare_probe.ko || say "step=probe-module error=insmod"
hint="/coshare/coshare-probe hint --first 0x6000 --count 8176 --rounds ${COSHARE_HINT_ROUNDS:-1}"
if [ "${COSHARE_HINT_PACED:-0}" != 1 ]; then
    say "step=hint $($hint)"
    exit
fi
stty -F /dev/hvc0 -echo 2>/dev/null   # dom0's lines stay off the log
say "step=paced-ready"
$hint --paced < /dev/hvc0 | while read -r line; do
    case "$line" in
    '{'*'"round":'*) say "step=round $line";;
    *) say "step=hint $line";;
    esac
done
