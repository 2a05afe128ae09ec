// Package awskeys fetches CloudTrail's digest public keys with the ListPublicKeys
// API (aws-sdk-go-v2), for integrity.NewRegionKeys. It keeps the AWS SDK out of
// pkg/integrity, which works on any objstore.Bucket and any KeySource.
package awskeys

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/ctq-dev/ctq/pkg/integrity"
)

// Options selects the credentials for ListPublicKeys.
type Options struct {
	Profile     string                  // shared-config profile ("" = default)
	Credentials aws.CredentialsProvider // replaces the default chain when set
}

// Fetch returns an integrity.FetchFunc that calls CloudTrail's
// ListPublicKeys API in each region (credentials from the SDK's default
// chain). The keys come back as PKCS#1 DER with their validity windows.
func Fetch(o Options) integrity.FetchFunc {
	return func(ctx context.Context, region string, start, end time.Time) ([]integrity.PublicKey, error) {
		opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
		if o.Profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(o.Profile))
		}
		if o.Credentials != nil {
			opts = append(opts, config.WithCredentialsProvider(o.Credentials))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("load AWS config: %w", err)
		}
		client := cloudtrail.NewFromConfig(cfg)
		in := &cloudtrail.ListPublicKeysInput{}
		if !start.IsZero() {
			in.StartTime = aws.Time(start)
		}
		if !end.IsZero() {
			in.EndTime = aws.Time(end)
		}
		var keys []integrity.PublicKey
		for {
			out, err := client.ListPublicKeys(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, k := range out.PublicKeyList {
				pub, err := integrity.ParseRSAPublicKey(k.Value)
				if err != nil {
					return nil, fmt.Errorf("key %s: %w", aws.ToString(k.Fingerprint), err)
				}
				keys = append(keys, integrity.PublicKey{Fingerprint: aws.ToString(k.Fingerprint), Start: aws.ToTime(k.ValidityStartTime), End: aws.ToTime(k.ValidityEndTime), Key: pub})
			}
			if out.NextToken == nil || *out.NextToken == "" {
				return keys, nil
			}
			in.NextToken = out.NextToken
		}
	}
}
