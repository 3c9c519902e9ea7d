// Command go_verifier checks our checkpoints and Merkle proofs with the Go module
// checksum database's own code (golang.org/x/mod/sumdb/note and .../tlog), an
// implementation written independently of ours.
//
// It reads one JSON document on stdin:
//
//	{"vkey": "<name>+<hex id>+<base64 key>",
//	 "checkpoint": "<signed note text>",
//	 "inclusion": [{"index": 3, "tree_size": 37, "leaf_hash": "<b64>", "hashes": ["<b64>", ...],
//	                "root": "<b64, only when tree_size differs from the checkpoint>"}],
//	 "consistency": [{"first": 5, "second": 37, "first_root": "<b64>", "hashes": [...],
//	                  "second_root": "<b64, only when second differs from the checkpoint>"}]}
//
// It prints "ok N inclusion, M consistency" and then "checkpoint <origin> <size> <root>"
// and exits 0 when everything verifies; otherwise it prints the first failure to stderr
// and exits 1.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index    int64       `json:"index"`
	TreeSize int64       `json:"tree_size"`
	LeafHash tlog.Hash   `json:"leaf_hash"`
	Hashes   []tlog.Hash `json:"hashes"`
	Root     *tlog.Hash  `json:"root"`
}

type consistency struct {
	First      int64       `json:"first"`
	Second     int64       `json:"second"`
	FirstRoot  tlog.Hash   `json:"first_root"`
	Hashes     []tlog.Hash `json:"hashes"`
	SecondRoot *tlog.Hash  `json:"second_root"`
}

type document struct {
	VKey        string        `json:"vkey"`
	Checkpoint  string        `json:"checkpoint"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, decimal size, base64 root,
// then optional extension lines. (tlog.ParseTree only knows the go.sum origin.)
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || lines[0] == "" {
		return checkpoint{}, errors.New("checkpoint needs origin, size and root lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("bad root %q", lines[2])
	}
	return checkpoint{lines[0], size, root}, nil
}

// treeHash picks the root a proof must reach: the signed one when the sizes agree,
// otherwise the one the document supplies.
func treeHash(cp checkpoint, size int64, given *tlog.Hash, what string) (tlog.Hash, error) {
	if given != nil {
		return *given, nil
	}
	if size != cp.size {
		return tlog.Hash{}, fmt.Errorf("%s: size %d is not the checkpoint's %d and no root given", what, size, cp.size)
	}
	return cp.root, nil
}

func run(input io.Reader) (string, error) {
	decoder := json.NewDecoder(input)
	decoder.DisallowUnknownFields()
	var doc document
	if err := decoder.Decode(&doc); err != nil {
		return "", fmt.Errorf("reading document: %w", err)
	}

	verifier, err := note.NewVerifier(doc.VKey)
	if err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	opened, err := note.Open([]byte(doc.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		return "", fmt.Errorf("checkpoint signature: %w", err)
	}
	cp, err := parseCheckpoint(opened.Text)
	if err != nil {
		return "", fmt.Errorf("checkpoint body: %w", err)
	}

	for i, p := range doc.Inclusion {
		what := fmt.Sprintf("inclusion[%d] (index %d, size %d)", i, p.Index, p.TreeSize)
		root, err := treeHash(cp, p.TreeSize, p.Root, what)
		if err != nil {
			return "", err
		}
		if err := tlog.CheckRecord(tlog.RecordProof(p.Hashes), p.TreeSize, root, p.Index, p.LeafHash); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
	}
	for i, p := range doc.Consistency {
		what := fmt.Sprintf("consistency[%d] (%d -> %d)", i, p.First, p.Second)
		root, err := treeHash(cp, p.Second, p.SecondRoot, what)
		if err != nil {
			return "", err
		}
		if err := tlog.CheckTree(tlog.TreeProof(p.Hashes), p.Second, root, p.First, p.FirstRoot); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
	}
	return fmt.Sprintf("ok %d inclusion, %d consistency\ncheckpoint %s %d %s",
		len(doc.Inclusion), len(doc.Consistency), cp.origin, cp.size,
		base64.StdEncoding.EncodeToString(cp.root[:])), nil
}

func main() {
	summary, err := run(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println(summary)
}
