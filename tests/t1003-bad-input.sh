#!/bin/sh
. "$TEST_SRCDIR/libtest.sh"
finish
