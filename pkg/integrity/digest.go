// Package integrity validates CloudTrail log file integrity: it reads the
// hourly digest files CloudTrail writes under CloudTrail-Digest/, verifies
// their RSA signatures and the chain that links them, and checks the SHA-256
// of every log file they reference. It works on any objstore.Bucket, so a
// local copy of a trail bucket can be validated offline.
package integrity

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Algorithms CloudTrail uses and this package accepts.
const (
	SignatureAlgorithm = "SHA256withRSA"
	HashAlgorithm      = "SHA-256"
)

// MetaSignature and MetaSignatureAlgorithm are the S3 user-metadata names
// (x-amz-meta-signature, x-amz-meta-signature-algorithm) that hold a
// digest's own signature.
const (
	MetaSignature          = "signature"
	MetaSignatureAlgorithm = "signature-algorithm"
)

// SignatureSuffix names the sidecar that carries a digest's signature in a
// local copy of a trail bucket, where S3 object metadata does not survive:
// DIGEST.json.gz has its hex signature (the x-amz-meta-signature value) in
// DIGEST.json.gz.signature.
const SignatureSuffix = ".signature"

// Digest is the content of a digest file.
type Digest struct {
	AWSAccountID               string  `json:"awsAccountId"`
	DigestStartTime            string  `json:"digestStartTime"`
	DigestEndTime              string  `json:"digestEndTime"`
	DigestS3Bucket             string  `json:"digestS3Bucket"`
	DigestS3Object             string  `json:"digestS3Object"`
	DigestPublicKeyFingerprint string  `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm   string  `json:"digestSignatureAlgorithm"`
	NewestEventTime            *string `json:"newestEventTime"`
	OldestEventTime            *string `json:"oldestEventTime"`
	// The previousDigest* members are null in a starting digest.
	PreviousDigestS3Bucket      *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string   `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string   `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string   `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string   `json:"previousDigestSignature"`
	LogFiles                    []LogFile `json:"logFiles"`

	// Start and End are DigestStartTime and DigestEndTime parsed.
	Start, End time.Time `json:"-"`
}

// LogFile is one log file a digest references.
type LogFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime,omitempty"`
	OldestEventTime string `json:"oldestEventTime,omitempty"`
}

// Starting reports whether d starts a chain (its previous digest is null).
func (d *Digest) Starting() bool { return d.PreviousDigestS3Object == nil }

// required lists the members every digest must have (possibly null).
var required = []string{
	"awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
	"digestPublicKeyFingerprint", "digestSignatureAlgorithm", "previousDigestS3Bucket",
	"previousDigestS3Object", "previousDigestHashValue", "previousDigestHashAlgorithm",
	"previousDigestSignature", "logFiles",
}

// maxLogFiles bounds the log files one digest may list: CloudTrail delivers
// a few hundred files per hour and region at most; the bound keeps a hostile
// digest from costing unbounded work.
const maxLogFiles = 1 << 20

// ParseDigest decodes and checks an uncompressed digest file: required
// members present, known algorithms, parseable times and well-formed hashes
// and signatures.
func ParseDigest(data []byte) (*Digest, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for _, m := range required {
		if _, ok := members[m]; !ok {
			return nil, fmt.Errorf("missing member %q", m)
		}
	}
	var d Digest
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("invalid member types: %w", err)
	}
	var err error
	if d.Start, err = time.Parse(time.RFC3339, d.DigestStartTime); err != nil {
		return nil, fmt.Errorf("digestStartTime %q: %w", d.DigestStartTime, err)
	}
	if d.End, err = time.Parse(time.RFC3339, d.DigestEndTime); err != nil {
		return nil, fmt.Errorf("digestEndTime %q: %w", d.DigestEndTime, err)
	}
	switch {
	case d.End.Before(d.Start):
		return nil, fmt.Errorf("digestEndTime %s is before digestStartTime %s", d.DigestEndTime, d.DigestStartTime)
	case d.DigestSignatureAlgorithm != SignatureAlgorithm:
		return nil, fmt.Errorf("digestSignatureAlgorithm %q: want %s", d.DigestSignatureAlgorithm, SignatureAlgorithm)
	case d.DigestS3Bucket == "" || d.DigestS3Object == "":
		return nil, fmt.Errorf("empty digestS3Bucket or digestS3Object")
	case d.DigestPublicKeyFingerprint == "":
		return nil, fmt.Errorf("empty digestPublicKeyFingerprint")
	case len(d.LogFiles) > maxLogFiles:
		return nil, fmt.Errorf("%d log files; at most %d are accepted", len(d.LogFiles), maxLogFiles)
	}
	prev := []*string{d.PreviousDigestS3Bucket, d.PreviousDigestS3Object, d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature}
	nulls := 0
	for _, p := range prev {
		if p == nil {
			nulls++
		}
	}
	if nulls != 0 && nulls != len(prev) {
		return nil, fmt.Errorf("previousDigest* members are partly null")
	}
	if nulls == 0 {
		if *d.PreviousDigestHashAlgorithm != HashAlgorithm {
			return nil, fmt.Errorf("previousDigestHashAlgorithm %q: want %s", *d.PreviousDigestHashAlgorithm, HashAlgorithm)
		}
		if !isHex(*d.PreviousDigestHashValue, sha256.Size) {
			return nil, fmt.Errorf("previousDigestHashValue %q is not a hex SHA-256", *d.PreviousDigestHashValue)
		}
		if !isHex(*d.PreviousDigestSignature, 0) {
			return nil, fmt.Errorf("previousDigestSignature is not hex")
		}
		if *d.PreviousDigestS3Object == "" {
			return nil, fmt.Errorf("empty previousDigestS3Object")
		}
	}
	for i, f := range d.LogFiles {
		switch {
		case f.S3Object == "":
			return nil, fmt.Errorf("logFiles[%d]: empty s3Object", i)
		case f.HashAlgorithm != HashAlgorithm:
			return nil, fmt.Errorf("logFiles[%d]: hashAlgorithm %q: want %s", i, f.HashAlgorithm, HashAlgorithm)
		case !isHex(f.HashValue, sha256.Size):
			return nil, fmt.Errorf("logFiles[%d]: hashValue %q is not a hex SHA-256", i, f.HashValue)
		}
	}
	return &d, nil
}

// isHex reports whether s is lower- or upper-case hex of n bytes (any
// non-zero even length when n is 0).
func isHex(s string, n int) bool {
	if n > 0 && len(s) != 2*n || len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// StringToSign returns the text CloudTrail signs for a digest:
//
//	digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(uncompressed digest)) \n previousDigestSignature
//
// with the literal "null" when previousDigestSignature is null. digestSHA256
// is the hash of the digest file's uncompressed bytes.
func StringToSign(d *Digest, digestSHA256 [32]byte) string {
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	return d.DigestEndTime + "\n" + d.DigestS3Bucket + "/" + d.DigestS3Object + "\n" + hex.EncodeToString(digestSHA256[:]) + "\n" + prev
}

// VerifySignature checks a hex SHA256withRSA (RSA PKCS#1 v1.5 over SHA-256)
// signature of msg.
func VerifySignature(pub *rsa.PublicKey, msg, sigHex string) error {
	sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("signature is not hex")
	}
	h := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		return fmt.Errorf("signature verification failed: %w", err)
	}
	return nil
}

// Sign returns the hex SHA256withRSA signature of a digest, as CloudTrail
// stores it in x-amz-meta-signature. It exists to build test and sample
// archives.
func Sign(key *rsa.PrivateKey, d *Digest, digestSHA256 [32]byte) (string, error) {
	h := sha256.Sum256([]byte(StringToSign(d, digestSHA256)))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("sign digest %s: %w", d.DigestS3Object, err)
	}
	return hex.EncodeToString(sig), nil
}
