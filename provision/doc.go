// Package provision runs provisioning cycles: it pushes a directory of
// users and groups to a SaaS provider over SCIM 2.0 and keeps it in step,
// the job Microsoft Entra ID's provisioning service does (DESIGN.md §5).
//
// A cycle has these steps, each usable on its own:
//
//  1. Read a source (CSV, Entra's "bulk download users" CSV, JSON or
//     JSONL) and validate every row before anything is sent: [ReadSource].
//  2. Map source fields to SCIM attributes ([Mapping]) and apply the
//     scoping rules and the verified-domain gate: the result is a
//     [Desired] state, with the users left out and why.
//  3. Plan: the desired state, the stored state of the last cycles and
//     what the server holds give a [Plan] of creates, updates (only the
//     changed attributes), deactivations, deletions and membership
//     changes. Planning is pure and needs no server.
//  4. Apply the plan through a scim.Client with bounded concurrency, a
//     shared request pacer, retries and quarantine, recording every
//     object in the per-target state and the provisioning log.
//
// The package never imports cobra or viper: the command `orgctl scim
// sync` only parses flags into options and prints what comes back.
package provision
