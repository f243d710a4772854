#!/bin/sh
# Runs inside the hinting guests of stock-vs-hint.sh (coshare.run=): hints
# the same gfn range dom0 shared the stock way, timed, through the raw op:
# coshare.hint_rounds rounds (unhinted in between; default 1), of which the
# median counts.
say() { echo "COSHARE-PROBE name=$COSHARE_NAME $*"; }
insmod /coshare/coshare_probe.ko || say "step=probe-module error=insmod"
say "step=hint $(/coshare/coshare-probe hint --first 0x6000 --count 8176 --rounds ${COSHARE_HINT_ROUNDS:-1})"
