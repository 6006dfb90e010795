/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading an environment folder from disk: Boottorrent.yaml, the list of OS
 * folders under oss/, and each one's config.yaml. Files under the folder are
 * opened with openat2(RESOLVE_BENEATH), so a symlink cannot make us read
 * something outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/env.h"
#include "util/path.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folder names directly under oss/, sorted, hidden ones skipped; at most
 * ENV_MAX_OSS + 1 (one more tells the caller there are too many). Returns the
 * count, or a negative errno. */
static int list_os_folders(int dirfd, char ***out)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int fd = path_open_beneath(dirfd, "oss", O_RDONLY | O_DIRECTORY);

	*out = NULL;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;
		close(fd);
		return r;
	}
	/* Bounded both in folders kept and in entries looked at, however
	 * many files someone dropped into oss/. */
	for (size_t seen = 0; n <= ENV_MAX_OSS && seen < 16 * ENV_MAX_OSS && (de = readdir(d));
	     seen++) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		/* Follows a symlinked folder here; whether it stays inside the
		 * environment is for the loader's openat2() to decide. */
		if (fstatat(fd, de->d_name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	return (int)n;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void load_os(struct bt_env *env, int dirfd, const char *name, char **folders, int n_folders,
		    struct diag_list *dl)
{
	const struct env_os *os = bt_env_find_os(env, name);
	char path[600];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r, fd;

	snprintf(path, sizeof(path), "oss/%s", name);
	fd = path_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		char hint[256];
		const char *sugg = NULL;
		if (fd == -ENOENT && n_folders > 0) {
			const char **cands = xcalloc((size_t)n_folders + 1, sizeof(*cands));
			for (int i = 0; i < n_folders; i++)
				cands[i] = folders[i];
			sugg = diag_suggest(name, cands);
			free(cands);
		}
		if (fd == -EXDEV)
			snprintf(hint, sizeof(hint), "keep every OS folder inside %s/oss",
				 env->dir);
		else if (sugg)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sugg);
		else
			snprintf(hint, sizeof(hint),
				 "create the folder %s/oss/%s, or remove the name", env->dir, name);
		diag_add(dl, DIAG_ERROR, os ? os->pos.file : env->config_path,
			 os ? os->pos.line : 0, os ? os->pos.col : 0, hint,
			 fd == -EXDEV	 ? "oss/%s leads outside the environment (a symlink?)"
			 : fd == -ENOENT ? "there is no OS folder oss/%s"
					 : "cannot open oss/%s",
			 name);
		return;
	}
	close(fd);
	snprintf(path, sizeof(path), "oss/%s/%s", name, ENV_OS_CONFIG_NAME);
	r = config_read_file(dirfd, path, true, YTREE_MAX_BYTES, &buf, &len);
	if (r == -ENOENT) {
		r = bt_env_parse_os(env, name, NULL, 0, dl);
	} else if (r < 0) {
		char file[700];
		snprintf(file, sizeof(file), "%s/%s", env->dir, path);
		diag_add(dl, DIAG_ERROR, file, 0, 0,
			 r == -EFBIG ? "keep config.yaml under 1 MiB" : "check the file",
			 "cannot read: %s",
			 r == -EXDEV ? "it leads outside the OS folder" : strerror(-r));
	} else {
		r = bt_env_parse_os(env, name, buf, len, dl);
	}
	(void)r;
	free(buf);
}

int bt_env_load(const char *dir, struct diag_list *dl, struct bt_env **out)
{
	struct bt_env *env = bt_env_new(dir);
	size_t errors_before = dl->n_errors;
	uint8_t *buf = NULL;
	size_t len = 0;
	char **folders = NULL;
	int n_folders, n_alloc, dirfd, r;

	*out = NULL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = errno;
		diag_add(dl, DIAG_ERROR, dir, 0, 0,
			 "give the folder of an environment (made with 'boottorrent init NAME')",
			 "cannot open the environment folder: %s", strerror(r));
		bt_env_free(env);
		return CONFIG_E_INVALID;
	}
	r = config_read_file(dirfd, ENV_CONFIG_NAME, true, YTREE_MAX_BYTES, &buf, &len);
	if (r < 0) {
		diag_add(
			dl, DIAG_ERROR, env->config_path, 0, 0,
			r == -ENOENT
				? "is this an environment folder? 'boottorrent init NAME' makes one"
			: r == -EFBIG ? "keep Boottorrent.yaml under 1 MiB"
				      : "check the file",
			"cannot read: %s",
			r == -ENOENT  ? "no such file"
			: r == -EXDEV ? "it leads outside the environment folder"
				      : strerror(-r));
		close(dirfd);
		bt_env_free(env);
		return CONFIG_E_INVALID;
	}
	r = bt_env_parse_main(env, buf, len, dl);
	free(buf);
	if (r < 0) {
		close(dirfd);
		bt_env_free(env);
		return r;
	}
	if (env->version < 0) {
		/* Not even the version could be read: the rest means nothing. */
		close(dirfd);
		*out = env;
		return CONFIG_E_INVALID;
	}

	n_folders = list_os_folders(dirfd, &folders);
	n_alloc = n_folders > 0 ? n_folders : 0;
	if (n_folders == -ENOENT) {
		char *p = path_join(dir, "oss");
		diag_add(dl, DIAG_ERROR, p, 0, 0, "create it, with one folder per OS inside",
			 "the oss folder is missing");
		free(p);
		n_folders = 0;
	} else if (n_folders < 0) {
		char *p = path_join(dir, "oss");
		diag_add(dl, DIAG_ERROR, p, 0, 0, "check the folder",
			 n_folders == -EXDEV ? "oss leads outside the environment"
					     : "cannot read the oss folder");
		free(p);
		n_folders = 0;
	} else if (n_folders > ENV_MAX_OSS) {
		char *p = path_join(dir, "oss");
		diag_add(dl, DIAG_ERROR, p, 0, 0, "serve fewer OSs from one environment",
			 "more than %d OS folders", ENV_MAX_OSS);
		free(p);
		n_folders = ENV_MAX_OSS;
	}
	if (env->boot.menu_set) {
		/* Names from the menu; copy them first, since loading may
		 * reallocate env->oss. */
		size_t n = env->n_oss;
		char **names = xcalloc(n ? n : 1, sizeof(*names));
		for (size_t i = 0; i < n; i++)
			names[i] = xstrdup(env->oss[i].name);
		for (size_t i = 0; i < n; i++)
			load_os(env, dirfd, names[i], folders, n_folders, dl);
		free_names(names, (int)n);
	} else {
		for (int i = 0; i < n_folders; i++)
			load_os(env, dirfd, folders[i], folders, n_folders, dl);
	}
	free_names(folders, n_alloc);
	close(dirfd);
	*out = env;
	return dl->n_errors > errors_before ? CONFIG_E_INVALID : 0;
}

int bt_env_open(const char *dir, const struct config_sys *sys, struct diag_list *dl,
		struct bt_env **out)
{
	struct bt_env *env = NULL;
	int r = bt_env_load(dir, dl, &env);

	*out = NULL;
	if (r < 0)
		return r;
	if (env && env->version >= 0) {
		int c = bt_env_check(env, sys, dl);
		if (c < 0) {
			bt_env_free(env);
			return c;
		}
		if (c)
			r = CONFIG_E_INVALID;
	}
	if (r) {
		bt_env_free(env);
		return r;
	}
	*out = env;
	return 0;
}
