package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// usersCommand manages team members (HTTP Basic accounts of the MMS
// clients and the CLI): magpie users add|list|remove, on a stopped local
// SDC, or with --table-prefix on a deployed one's DynamoDB users table
// (AWS credentials and region from the environment, as the AWS CLI takes
// them).
func usersCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, 2, "usage: magpie users add|list|remove [flags] (magpie users add -h)")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("users "+sub, stderr)
	data := fs.String("data", defaultDataDir(), "data folder")
	prefix := fs.String("table-prefix", "", "a deployed stage's DynamoDB table prefix (stack output TablePrefix, e.g. magpie-staging-): manage its users instead of the local SDC's")
	var roles, passwordEnv *string
	var replace *bool
	if sub == "add" {
		roles = fs.String("roles", "scientist", "comma-separated roles: scientist, sitl, super-sitl, operator")
		passwordEnv = fs.String("password-env", "MAGPIE_PASSWORD", "environment variable holding the password (never a flag: flags show in ps)")
		replace = fs.Bool("replace", false, "replace an existing user's password and roles")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	ctx := context.Background()
	var tables store.TableStore
	if *prefix != "" {
		cfg, err := awsstore.LoadConfig(ctx)
		if err != nil {
			return fail(stderr, 2, "AWS configuration: %v", err)
		}
		tables = awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), *prefix)
	} else {
		sdc, err := runtime.Open(ctx, runtime.Config{DataDir: *data})
		if err != nil {
			if errors.Is(err, runtime.ErrDataDirBusy) {
				return fail(stderr, 2, "%v", err)
			}
			return fail(stderr, 1, "%v", err)
		}
		defer sdc.Close()
		tables = sdc.Tables
	}
	users := auth.NewUsers(tables, clock.Real{})
	if err := users.EnsureTable(ctx); err != nil {
		return fail(stderr, 1, "%v", err)
	}
	switch sub {
	case "add":
		if fs.NArg() != 1 {
			return fail(stderr, 2, "usage: magpie users add [--roles r1,r2] [--replace] NAME (password in $%s)", *passwordEnv)
		}
		var rs []auth.Role
		for _, r := range strings.Split(*roles, ",") {
			role, err := auth.ParseRole(r)
			if err != nil {
				return fail(stderr, 2, "%v", err)
			}
			rs = append(rs, role)
		}
		pw := os.Getenv(*passwordEnv)
		if pw == "" {
			return fail(stderr, 2, "set the password in the environment variable %s", *passwordEnv)
		}
		u, err := users.Add(ctx, fs.Arg(0), pw, rs, *replace)
		if errors.Is(err, store.ErrExists) {
			return fail(stderr, 2, "%v", err)
		}
		if err != nil {
			return fail(stderr, 2, "%v", err)
		}
		fmt.Fprintf(stdout, "user %s added with roles %v\n", u.Name, u.Roles)
	case "list":
		list, err := users.List(ctx)
		if err != nil {
			return fail(stderr, 1, "%v", err)
		}
		for _, u := range list {
			fmt.Fprintf(stdout, "%-24s %-40s %s\n", u.Name, fmt.Sprint(u.Roles), u.Created.Format("2006-01-02"))
		}
	case "remove":
		if fs.NArg() != 1 {
			return fail(stderr, 2, "usage: magpie users remove NAME")
		}
		if err := users.Remove(ctx, fs.Arg(0)); err != nil {
			code := 1
			if errors.Is(err, store.ErrNotFound) {
				code = 2
			}
			return fail(stderr, code, "%v", err)
		}
		fmt.Fprintf(stdout, "user %s removed\n", fs.Arg(0))
	default:
		return fail(stderr, 2, "unknown users subcommand %q (add, list, remove)", sub)
	}
	return 0
}
