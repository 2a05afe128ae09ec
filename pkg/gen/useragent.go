package gen

import "strconv"

func (r *rec) uaNum(n int) { r.ua = strconv.AppendInt(r.ua, int64(n), 10) }

func (r *rec) uaVer(major, lo, hi, patchMax int) {
	g := r.g
	r.uaNum(major)
	r.ua = append(r.ua, '.')
	r.uaNum(g.between(lo, hi))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(patchMax + 1))
}

// uaConsole sets a console user agent: a browser for sign-in events and
// the console's own agents for API calls.
func (r *rec) uaConsole() {
	g := r.g
	if r.sp.kind == kConsoleSignIn {
		r.uaBrowser()
		return
	}
	switch {
	case r.sp.src == "s3":
		r.ua = append(r.ua, "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12."...)
		r.uaNum(g.between(400, 770))
		r.ua = append(r.ua, " Linux/5.10."...)
		r.uaNum(g.between(200, 230))
		r.ua = append(r.ua, "-0.0.0.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25."...)
		r.uaNum(g.between(300, 420))
		r.ua = append(r.ua, "-b09 java/1.8.0_"...)
		r.uaNum(g.between(300, 420))
		r.ua = append(r.ua, " vendor/Oracle_Corporation cfg/retry-mode/standard]"...)
	case g.chance(0.5):
		r.ua = append(r.ua, "AWS Internal"...)
	case g.chance(0.5):
		r.ua = append(r.ua, "console.amazonaws.com"...)
	default:
		r.ua = append(r.ua, "console."...)
		r.ua = append(r.ua, r.sp.src...)
		r.ua = append(r.ua, ".amazonaws.com"...)
	}
}

func (r *rec) uaBrowser() {
	g := r.g
	switch g.IntN(4) {
	case 0:
		r.ua = append(r.ua, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"...)
		r.uaNum(g.between(118, 131))
		r.ua = append(r.ua, ".0.0.0 Safari/537.36"...)
	case 1:
		r.ua = append(r.ua, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"...)
		r.uaNum(g.between(118, 131))
		r.ua = append(r.ua, ".0.0.0 Safari/537.36"...)
	case 2:
		r.ua = append(r.ua, "Mozilla/5.0 (X11; Linux x86_64; rv:"...)
		v := g.between(115, 133)
		r.uaNum(v)
		r.ua = append(r.ua, ".0) Gecko/20100101 Firefox/"...)
		r.uaNum(v)
		r.ua = append(r.ua, ".0"...)
	default:
		r.ua = append(r.ua, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17."...)
		r.uaNum(g.IntN(7))
		r.ua = append(r.ua, " Safari/605.1.15"...)
	}
}

// uaTool sets the agent of a programmatic caller.
func (r *rec) uaTool() {
	switch r.g.IntN(7) {
	case 0, 1:
		r.uaCLI()
	case 2:
		r.uaTerraform()
	case 3:
		r.uaBoto()
	case 4:
		r.uaGo()
	case 5:
		r.uaJS()
	default:
		r.uaJava()
	}
}

// uaSDK sets an SDK agent as used by workloads.
func (r *rec) uaSDK() {
	switch r.g.IntN(4) {
	case 0:
		r.uaBoto()
	case 1:
		r.uaGo()
	case 2:
		r.uaJS()
	default:
		r.uaJava()
	}
}

func (r *rec) uaCLI() {
	g := r.g
	r.ua = append(r.ua, "aws-cli/"...)
	r.uaVer(2, 13, 22, 40)
	r.ua = append(r.ua, " md/awscrt#0."...)
	r.uaNum(g.between(16, 23))
	r.ua = append(r.ua, ".0 ua/2.0 "...)
	switch g.IntN(3) {
	case 0:
		r.ua = append(r.ua, "os/linux#6.1."...)
		r.uaNum(g.IntN(120))
		r.ua = append(r.ua, "-amzn2023.x86_64 md/arch#x86_64"...)
	case 1:
		r.ua = append(r.ua, "os/macos#23."...)
		r.uaNum(g.IntN(7))
		r.ua = append(r.ua, ".0 md/arch#arm64"...)
	default:
		r.ua = append(r.ua, "os/win32#10 md/arch#amd64"...)
	}
	r.ua = append(r.ua, " lang/python#3.11."...)
	r.uaNum(g.IntN(10))
	r.ua = append(r.ua, " md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#"...)
	r.ua = append(r.ua, r.sp.src...)
	r.ua = append(r.ua, '.')
	for i := 0; i < len(r.sp.name); i++ {
		c := r.sp.name[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				r.ua = append(r.ua, '-')
			}
			c += 'a' - 'A'
		}
		if c >= '0' && c <= '9' {
			break
		}
		r.ua = append(r.ua, c)
	}
}

func (r *rec) uaBoto() {
	g := r.g
	minor := g.between(28, 37)
	r.ua = append(r.ua, "Boto3/1."...)
	r.uaNum(minor)
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(160))
	r.ua = append(r.ua, " md/Botocore#1."...)
	r.uaNum(minor)
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(160))
	r.ua = append(r.ua, " ua/2.0 os/linux#5.10."...)
	r.uaNum(g.between(200, 230))
	r.ua = append(r.ua, "-"...)
	r.uaNum(g.between(100, 250))
	r.ua = append(r.ua, ".amzn2.x86_64 md/arch#x86_64 lang/python#3.12."...)
	r.uaNum(g.IntN(8))
	r.ua = append(r.ua, " md/pyimpl#CPython"...)
	if r.role != nil && r.role.kind == rkLambda {
		r.ua = append(r.ua, " exec-env/AWS_Lambda_python3.12"...)
	}
	r.ua = append(r.ua, " cfg/retry-mode#legacy Botocore/1."...)
	r.uaNum(minor)
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(160))
}

func (r *rec) uaGo() {
	g := r.g
	r.ua = append(r.ua, "aws-sdk-go-v2/1."...)
	r.uaNum(g.between(24, 36))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(8))
	r.ua = append(r.ua, " ua/2.0 os/linux lang/go#1."...)
	r.uaNum(g.between(21, 24))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(10))
	r.ua = append(r.ua, " md/GOOS#linux md/GOARCH#amd64 api/"...)
	r.ua = append(r.ua, r.sp.src...)
	r.ua = append(r.ua, "#1."...)
	r.uaNum(g.between(20, 80))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(10))
}

func (r *rec) uaJS() {
	g := r.g
	r.ua = append(r.ua, "aws-sdk-js/3."...)
	r.uaNum(g.between(400, 720))
	r.ua = append(r.ua, ".0 ua/2.1 os/linux#5.10."...)
	r.uaNum(g.between(200, 230))
	r.ua = append(r.ua, " lang/js md/nodejs#20."...)
	r.uaNum(g.between(9, 18))
	r.ua = append(r.ua, ".0 api/"...)
	r.ua = append(r.ua, r.sp.src...)
	r.ua = append(r.ua, "#3."...)
	r.uaNum(g.between(400, 720))
	r.ua = append(r.ua, ".0 m/E"...)
}

func (r *rec) uaJava() {
	g := r.g
	r.ua = append(r.ua, "aws-sdk-java/2."...)
	r.uaNum(g.between(20, 31))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(60))
	r.ua = append(r.ua, " Linux/5.10."...)
	r.uaNum(g.between(200, 230))
	r.ua = append(r.ua, "-"...)
	r.uaNum(g.between(100, 250))
	r.ua = append(r.ua, ".amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0."...)
	r.uaNum(g.between(8, 13))
	r.ua = append(r.ua, "+7-LTS Java/17.0."...)
	r.uaNum(g.between(8, 13))
	r.ua = append(r.ua, " vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy"...)
}

func (r *rec) uaTerraform() {
	g := r.g
	r.ua = append(r.ua, "APN/1.0 HashiCorp/1.0 Terraform/1."...)
	r.uaNum(g.between(5, 10))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(6))
	r.ua = append(r.ua, " (+https://www.terraform.io) terraform-provider-aws/5."...)
	r.uaNum(g.between(30, 90))
	r.ua = append(r.ua, ".0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1."...)
	r.uaNum(g.between(24, 36))
	r.ua = append(r.ua, '.')
	r.uaNum(g.IntN(8))
	r.ua = append(r.ua, " ua/2.0 os/linux lang/go#1.22."...)
	r.uaNum(g.IntN(10))
	r.ua = append(r.ua, " md/GOOS#linux md/GOARCH#amd64 api/"...)
	r.ua = append(r.ua, r.sp.src...)
	r.ua = append(r.ua, "#1."...)
	r.uaNum(g.between(20, 80))
	r.ua = append(r.ua, ".0"...)
}

func (r *rec) uaSSM() {
	g := r.g
	r.ua = append(r.ua, "aws-sdk-go/1.44."...)
	r.uaNum(g.IntN(330))
	r.ua = append(r.ua, " (go1.21."...)
	r.uaNum(g.IntN(12))
	r.ua = append(r.ua, "; linux; amd64) amazon-ssm-agent/3.3."...)
	r.uaNum(g.between(900, 1300))
	r.ua = append(r.ua, ".0"...)
}

// oddAgents exercise JSON escaping and non-ASCII text in consumers.
var oddAgents = []string{
	`Mozilla/5.0 (X11; Linux x86_64) "quoted" build`,
	`aws-cli/2.15.0 Python/3.11 Windows/10 exe/AMD64 prompt/off command/s3.cp C:\Users\Zoë\Downloads\report.csv`,
	"curl/8.5.0\n\tinjected-header: x",
	"\u001b[31mcolored-agent\u001b[0m/1.0",
	"Björn's-uploader/2.1 (Größe; 東京)",
	"python-requests/2.31.0 ☁ uploader",
	"agent-with-\u2028line-separator/1.0",
	"tab\tseparated\tagent/0.1 \\escaped\\",
}

// maybeOddUA replaces the user agent of a small share of non-service calls
// with one that needs escaping or holds non-ASCII text.
func (r *rec) maybeOddUA() {
	if r.svcCaller || !r.g.chance(0.006) {
		return
	}
	r.ua = append(r.ua[:0], pick(r.g, oddAgents)...)
}
