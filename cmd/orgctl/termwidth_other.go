//go:build !unix

package main

import "os"

// termWidth returns 0: the width is not known here.
func termWidth(*os.File) int { return 0 }
