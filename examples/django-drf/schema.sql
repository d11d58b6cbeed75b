-- The learnhub API's tables exactly as its Django migrations create them
-- (resources/migrations), dumped from a migrated database:
--
--   manage.py migrate
--   pg_dump --schema-only --no-owner --no-privileges --no-comments learnhub
--
-- with pg_dump's session settings (SET, set_config, \restrict) left out, so
-- that the file can be applied as plain SQL.

--
-- Name: django_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.django_migrations (
    id bigint NOT NULL,
    app character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    applied timestamp with time zone NOT NULL
);

--
-- Name: django_migrations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.django_migrations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: django_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.django_migrations_id_seq OWNED BY public.django_migrations.id;

--
-- Name: resources_author; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.resources_author (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    email character varying(254) NOT NULL,
    joined_at timestamp with time zone NOT NULL
);

--
-- Name: resources_author_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.resources_author_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: resources_author_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.resources_author_id_seq OWNED BY public.resources_author.id;

--
-- Name: resources_learningresource; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.resources_learningresource (
    id bigint NOT NULL,
    title character varying(200) NOT NULL,
    url character varying(200) NOT NULL,
    status character varying(10) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    author_id bigint NOT NULL
);

--
-- Name: resources_learningresource_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.resources_learningresource_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: resources_learningresource_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.resources_learningresource_id_seq OWNED BY public.resources_learningresource.id;

--
-- Name: resources_view; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.resources_view (
    id bigint NOT NULL,
    viewed_at timestamp with time zone NOT NULL,
    seconds integer NOT NULL,
    resource_id bigint NOT NULL,
    CONSTRAINT resources_view_seconds_check CHECK ((seconds >= 0))
);

--
-- Name: resources_view_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.resources_view_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: resources_view_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.resources_view_id_seq OWNED BY public.resources_view.id;

--
-- Name: django_migrations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_migrations ALTER COLUMN id SET DEFAULT nextval('public.django_migrations_id_seq'::regclass);

--
-- Name: resources_author id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_author ALTER COLUMN id SET DEFAULT nextval('public.resources_author_id_seq'::regclass);

--
-- Name: resources_learningresource id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_learningresource ALTER COLUMN id SET DEFAULT nextval('public.resources_learningresource_id_seq'::regclass);

--
-- Name: resources_view id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_view ALTER COLUMN id SET DEFAULT nextval('public.resources_view_id_seq'::regclass);

--
-- Name: django_migrations django_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_migrations
    ADD CONSTRAINT django_migrations_pkey PRIMARY KEY (id);

--
-- Name: resources_author resources_author_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_author
    ADD CONSTRAINT resources_author_email_key UNIQUE (email);

--
-- Name: resources_author resources_author_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_author
    ADD CONSTRAINT resources_author_pkey PRIMARY KEY (id);

--
-- Name: resources_learningresource resources_learningresource_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_learningresource
    ADD CONSTRAINT resources_learningresource_pkey PRIMARY KEY (id);

--
-- Name: resources_view resources_view_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_view
    ADD CONSTRAINT resources_view_pkey PRIMARY KEY (id);

--
-- Name: resources_author_email_c24cfb11_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX resources_author_email_c24cfb11_like ON public.resources_author USING btree (email varchar_pattern_ops);

--
-- Name: resources_learningresource_author_id_a8c69e57; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX resources_learningresource_author_id_a8c69e57 ON public.resources_learningresource USING btree (author_id);

--
-- Name: resources_learningresource_created_at_27dc1fe3; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX resources_learningresource_created_at_27dc1fe3 ON public.resources_learningresource USING btree (created_at);

--
-- Name: resources_view_resource_id_d5de8021; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX resources_view_resource_id_d5de8021 ON public.resources_view USING btree (resource_id);

--
-- Name: resources_learningresource resources_learningre_author_id_a8c69e57_fk_resources; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_learningresource
    ADD CONSTRAINT resources_learningre_author_id_a8c69e57_fk_resources FOREIGN KEY (author_id) REFERENCES public.resources_author(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: resources_view resources_view_resource_id_d5de8021_fk_resources; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.resources_view
    ADD CONSTRAINT resources_view_resource_id_d5de8021_fk_resources FOREIGN KEY (resource_id) REFERENCES public.resources_learningresource(id) DEFERRABLE INITIALLY DEFERRED;

